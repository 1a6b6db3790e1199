"""Funnel: site visits -> friend adds -> first reaction -> purchase, by route."""
import streamlit as st

from dashboard.analytics import metrics
from dashboard.web import account_ui, charts, ui
from dashboard.core.i18n import route_label, t

f = ui.context()  # checked and drawn by dashboard/web/navigation.py
names = ui.route_names(f)

window = st.slider(t("funnel.window", f.lang), min_value=1, max_value=60, value=14, key="funnel_window")
frame = ui.ask(f, metrics.funnel, window_days=window)
ui.definition(t("funnel.def", f.lang))
account_ui.no_add_date_note(f)
if frame.empty:
    st.info(t("common.no_data", f.lang))
    st.stop()

total = frame[frame["route"] == "__total__"].iloc[0]
ui.chart(charts.funnel, total, f.lang, key="funnel_total")
steps = [("visits", None), ("adds", "add_rate"), ("reacted", "reaction_rate"), ("converted", "conversion_rate")]
previous = None
for col, (step, rate) in zip(st.columns(4), steps):
    with col:
        value = int(total[step])
        lost = None if previous is None else f"{t('funnel.dropoff', f.lang)} {previous - value:,}"
        st.metric(t(f"funnel.{step}", f.lang), f"{value:,}", delta=lost, delta_color="off", delta_arrow="off",
                  border=True)
        if rate:
            share = total[rate]
            st.caption(f"{t('funnel.step_rate', f.lang)}: " + ("—" if share != share else f"{share:.2%}"))
        previous = value

st.subheader(t("funnel.by_route", f.lang))
routes_only = frame[frame["route"] != "__total__"]
ui.chart(charts.funnel_by_route, routes_only, names, f.lang, key="funnel_routes")
shown = frame.assign(route=[route_label(r, names, f.lang) for r in frame["route"]])
st.dataframe(shown, hide_index=True, key="funnel_table", column_config={
    "route": t("common.route", f.lang), "visits": t("funnel.visits", f.lang), "adds": t("funnel.adds", f.lang),
    "reacted": t("funnel.reacted", f.lang), "converted": t("funnel.converted", f.lang),
    **{c: st.column_config.NumberColumn(t(f"funnel.{c}", f.lang), format="percent")
       for c in ("add_rate", "reaction_rate", "conversion_rate", "overall_rate")},
})
ui.csv_download(frame, f"funnel_{window}d", key="funnel_csv")
