"""Deliveries: per send, what it reached (LINE's aggregates) and what followed (per-user)."""
import streamlit as st

from dashboard import account_ui, charts, ui
from dashboard.i18n import t

f = ui.page("dlv.title")
if f is None:
    st.stop()

frame = ui.ask(f, "deliveries")
ui.definition(t("dlv.def", f.lang))
account_ui.lost_answers_panel(f, key="dlv_lost")  # batches whose answer was lost
if frame.empty:
    st.info(t("common.no_data", f.lang))
    st.stop()

st.subheader(t("dlv.chart", f.lang))
st.plotly_chart(charts.delivery_outcomes(frame, f.lang), key="dlv_chart")


def aggregate(value, under_20: bool, has_stats: bool) -> str:
    # LINE returns null under 20: say so instead of showing 0 or a blank.
    if not has_stats:
        return t("dlv.not_synced", f.lang)
    if value != value or value is None:
        return "< 20"
    return f"{int(value):,}" + (" (+ < 20)" if under_20 else "")


shown = frame.assign(
    sent_at=frame["sent_at"].dt.tz_convert(f.period.tz).dt.strftime("%Y-%m-%d %H:%M"),
    unique_impressions=[aggregate(v, u, h) for v, u, h in
                        zip(frame["unique_impressions"], frame["imp_under_20"], frame["has_stats"])],
    unique_clicks=[aggregate(v, u, h) for v, u, h in
                   zip(frame["unique_clicks"], frame["clk_under_20"], frame["has_stats"])],
)[["sent_at", "title", "kind", "is_promotion", "recipients", "unique_impressions", "unique_clicks",
   "reactors_24h", "blocks_24h", "conversions_7d"]]
st.dataframe(shown, hide_index=True, key="dlv_table", column_config={
    c: t(f"dlv.{'title_col' if c == 'title' else ('promotion' if c == 'is_promotion' else c)}", f.lang)
    for c in shown.columns})
ui.csv_download(frame, f"deliveries_{f.period.first}_{f.period.last}", key="dlv_csv")
