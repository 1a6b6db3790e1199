"""When to send: reaction rate per message received by weekday × hour, for everyone or a segment."""
import streamlit as st

from dashboard.analytics import send_time
from dashboard.audience import saved as segment_store
from dashboard.web import send_time_ui, ui, words_ui
from dashboard.core.i18n import t

f = ui.context()  # checked and drawn by dashboard/web/navigation.py
cur = ui.cursor(f.db)
try:
    saved = segment_store.list_segments(cur)
    names = dict(zip(saved["segment_id"], saved["name"]))
    picked = st.selectbox(t("fr.stp.audience", f.lang), ["", *names], key=ui.lang_key("stp_audience", f.lang),
                          format_func=lambda s: names.get(s) or t("fr.stp.audience.all", f.lang))
    rule = segment_store.get(cur, segment_id=picked)["rule"] if picked else None
finally:
    cur.close()
if rule is not None:
    words_ui.show(rule, f.lang, words_ui.labels(f), key="stp_rule_json")
ui.definition(t("fr.stp.def", f.lang))
frame = ui.ask(ui.lookback(f, "stp_window", "common.history"), send_time.grid, rule=rule)
if frame.empty:
    st.info(t("fr.stp.none", f.lang))
else:
    st.plotly_chart(send_time_ui.heatmap(frame, f.lang), key="stp_chart")
    send_time_ui.best(frame, f.lang)
    shown = send_time_ui.table(frame, f.lang)
    st.dataframe(shown, hide_index=True, key="stp_table")
    ui.csv_download(shown, f"send_time_{f.period.first}_{f.period.last}", key="stp_csv")
