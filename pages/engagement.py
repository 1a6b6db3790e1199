"""Engagement: rich-menu taps, survey answers, and reactions per delivery over time."""
import streamlit as st

from dashboard.analytics import metrics
from dashboard.web import charts, health_ui, ui
from dashboard.core.i18n import t

f = ui.context()  # checked and drawn by dashboard/web/navigation.py
health_ui.alerts_here(f, "engagement")  # issue 16: the warning signs about this page

st.subheader(t("eng.rpd", f.lang))
rpd = ui.ask(ui.lookback(f, "eng_rpd_window", "common.history"), metrics.reactions_per_delivery)
if rpd.empty:
    st.info(t("common.no_data", f.lang))
else:
    ui.chart(charts.reactions_per_delivery, rpd, f.lang, key="eng_rpd")
    ui.csv_download(rpd, "reactions_per_delivery", key="eng_rpd_csv")
ui.definition(t("kpi.reactions_per_delivery.def", f.lang) + " " + t("overview.trend.def", f.lang))

left, right = st.columns([3, 2])
with left:
    st.subheader(t("eng.taps", f.lang))
    taps = ui.ask(ui.lookback(f, "eng_taps_window", "common.history", options=(13, 26, 0)), metrics.richmenu_taps)
    if taps.empty:
        st.info(t("common.no_data", f.lang))
    else:
        ui.chart(charts.taps_by_week, taps, f.lang, key="eng_taps")
        ui.csv_download(taps, "richmenu_taps_daily", key="eng_taps_csv")
    ui.definition(t("eng.taps.def", f.lang))
with right:
    st.subheader(t("eng.survey", f.lang))
    answers = ui.ask(f, metrics.survey_answers)
    if answers.empty:
        st.info(t("common.no_data", f.lang))
    else:
        ui.chart(charts.survey, answers, f.lang, key="eng_survey")
        ui.csv_download(answers, "survey_answers", key="eng_survey_csv")
    ui.definition(t("eng.survey.def", f.lang))
