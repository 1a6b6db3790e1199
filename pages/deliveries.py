"""Deliveries: per send, what it reached (LINE's aggregates) and what followed (per-user).
Test sends are listed apart, below: they are never charted or counted as deliveries."""
import streamlit as st

from dashboard.analytics import metrics
from dashboard.web import account_ui, charts, delivery_view, health_ui, ui
from dashboard.analytics import delivery_detail
from dashboard.core.i18n import t

f = ui.context()  # checked and drawn by dashboard/web/navigation.py
health_ui.alerts_here(f, "deliveries")  # issue 16: the warning signs about this page

frame = ui.ask(f, metrics.deliveries)
tests = ui.ask(f, metrics.test_sends)
ui.definition(t("dlv.def", f.lang))
account_ui.lost_answers_panel(f, key="dlv_lost")  # batches whose answer was lost
if frame.empty:
    st.info(t("common.no_data", f.lang))
else:
    st.subheader(t("dlv.chart", f.lang))
    # campaigns only: a scenario's many small step deliveries would crowd them out (their funnel is on ステップ配信)
    ui.chart(charts.delivery_outcomes, delivery_view.campaigns(frame), f.lang, key="dlv_chart")
    st.caption(t("dlv.chart.campaigns", f.lang))
    # a row's click and the picker both open a delivery; the latest wins. The table's key names what it
    # shows: a selection must not outlive a change of period or routes (it would point at another row).
    table_key = f"dlv_table_{f.period.first}_{f.period.last}_{'-'.join(f.routes)}_{st.session_state.get('dlv_pick_n', 0)}"
    shown = st.dataframe(delivery_view.table(frame, f.lang, f.period.tz), hide_index=True, key=table_key,
                         on_select=delivery_view.row_clicked, selection_mode="single-row")
    ui.csv_download(delivery_view.csv_frame(frame, f.lang), f"deliveries_{f.period.first}_{f.period.last}",
                    key="dlv_csv")
    labels = delivery_view.choices(frame, f.period.tz)
    picked = st.selectbox(t("dlv.detail.pick", f.lang), list(labels), index=None, key="dlv_pick",
                          placeholder=t("dlv.detail.pick.placeholder", f.lang), format_func=labels.get,
                          on_change=delivery_view.picker_changed)
    opened = delivery_view.opened(frame, shown, picked)
    if opened:
        cur = ui.cursor(f.db)
        try:
            delivery_view.detail_view(delivery_detail.detail(cur, opened), f.lang, f.period.tz,
                                      see_ids=ui.allowed("see_user_ids"))
        finally:
            cur.close()

if not tests.empty:
    st.subheader(t("dlv.tests", f.lang))
    st.caption(t("dlv.tests.def", f.lang))
    st.dataframe(delivery_view.test_sends(tests, f.lang, f.period.tz), hide_index=True, key="dlv_tests")
