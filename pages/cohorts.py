"""Cohorts: share of each add week still following 1–12 weeks after the add."""
import streamlit as st

from dashboard.analytics import metrics
from dashboard.web import account_ui, charts, ui
from dashboard.core.i18n import t

f = ui.context()  # checked and drawn by dashboard/web/navigation.py

frame = ui.ask(ui.lookback(f, "cohorts_window", "cohorts.add_week"), metrics.retention)
ui.definition(t("cohorts.def", f.lang))
account_ui.no_add_date_note(f)
if frame.empty:
    st.info(t("common.no_data", f.lang))
    st.stop()
ui.chart(charts.retention_grid, frame, f.lang, key="cohorts_grid")
st.subheader(t("cohorts.avg", f.lang))
ui.chart(charts.retention_curve, frame, f.lang, key="cohorts_curve")
wide = frame.pivot(index=["add_week", "size"], columns="week", values="retention").reset_index()
wide["add_week"] = wide["add_week"].astype(str)
wide.columns = [str(c) for c in wide.columns]
st.dataframe(wide, hide_index=True, key="cohorts_table", column_config={
    "add_week": t("cohorts.add_week", f.lang), "size": t("cohorts.size", f.lang),
    **{str(w): st.column_config.NumberColumn(f"{w} {t('cohorts.week', f.lang)}", format="percent") for w in range(1, 13)},
})
ui.csv_download(frame, "retention_weekly", key="cohorts_csv")
