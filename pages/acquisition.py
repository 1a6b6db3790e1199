"""Acquisition: adds and blocks per day, when friends arrive, and which routes bring good friends."""
import streamlit as st

from dashboard.analytics import metrics
from dashboard.web import account_ui, charts, health_ui, ui
from dashboard.core.i18n import route_label, t

f = ui.context()  # checked and drawn by dashboard/web/navigation.py
health_ui.alerts_here(f, "acquisition")  # issue 16: the warning signs about this page
names = ui.route_names(f)

st.subheader(t("acq.daily", f.lang))
daily = ui.ask(f, metrics.adds_blocks_daily)
ui.chart(charts.adds_blocks, daily, f.lang, key="acq_daily")
ui.definition(t("acq.daily.def", f.lang))
ui.csv_download(daily, "adds_blocks_daily", key="acq_daily_csv")

st.subheader(t("acq.heatmap", f.lang))
grid = ui.ask(f, metrics.adds_by_weekday_hour)
ui.chart(charts.weekday_hour, grid, f.lang, key="acq_heatmap")
ui.definition(t("acq.heatmap.def", f.lang))
account_ui.no_add_date_note(f)
ui.csv_download(grid, "adds_by_weekday_hour", key="acq_heatmap_csv")

st.subheader(t("acq.routes", f.lang))
# 30-day rates need adds at least 30 days old: by default judge the adds of the 13 weeks up to
# the period's end, which a 4-week period alone could never show.
quality_filters = ui.lookback(f, "acq_quality_window", "acq.cohort", options=(13, 26, 0))
quality = ui.ask(quality_filters, metrics.route_quality)
if quality.empty:
    st.info(t("common.no_data", f.lang))
else:
    ui.chart(charts.route_quality, quality, names, f.lang, key="acq_routes")
    shown = quality.assign(route=[route_label(r, names, f.lang) for r in quality["route"]])
    pct = st.column_config.NumberColumn(format="percent")
    st.dataframe(shown, hide_index=True, key="acq_routes_table", column_config={
        "route": t("common.route", f.lang), "adds": t("acq.adds", f.lang),
        "block_rate_7d": st.column_config.NumberColumn(t("acq.block_rate_7d", f.lang), format="percent"),
        "block_rate_30d": st.column_config.NumberColumn(t("acq.block_rate_30d", f.lang), format="percent"),
        "reaction_rate_30d": st.column_config.NumberColumn(t("acq.reaction_rate_30d", f.lang), format="percent"),
        "conversion_rate_30d": st.column_config.NumberColumn(t("acq.conversion_rate_30d", f.lang), format="percent"),
        "observed_7d": t("acq.observed_7d", f.lang), "observed_30d": t("acq.observed_30d", f.lang),
    })
    if int(quality["observed_30d"].sum()) == 0:
        st.warning(t("acq.too_recent", f.lang))
    ui.csv_download(quality, "route_quality", key="acq_routes_csv")
ui.definition(t("acq.routes.def", f.lang))
