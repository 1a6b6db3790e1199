"""Account health (issue 16): the goals with progress, pace and forecast, and the warning signs of
the articles' failure patterns with their evidence and a suggested action (acknowledge / mute)."""
import streamlit as st

from dashboard.web import health_ui, ui
from dashboard.core.i18n import t

f = ui.context()  # checked and drawn by dashboard/web/navigation.py

st.caption(t("hl.intro", f.lang))
health_ui.flash()
health_ui.check_bar(f)

st.subheader(t("hl.alerts.title", f.lang))
health_ui.alerts_panel(f)

st.subheader(t("hl.goals.title", f.lang))
health_ui.goals_panel(f)
