"""The Streamlit script every session runs: navigation only. Each page in pages/ draws the shared
sidebar itself (ui.page).

Why this lives here and not in app.py: Streamlit treats a folder named `pages/` beside the main
script as an old-style (v1) multipage app and, on a fresh server whose first request is a deep link
(/segments), runs that page alone with a file-name menu. With the main script here, the folder is
not beside it, and st.navigation is always in charge. app.py at the root serves this script
(st.App) and is what `streamlit run app.py` starts.
"""
import streamlit as st

from dashboard import ui
from dashboard.config import ROOT
from dashboard.i18n import t

st.set_page_config(page_title="LINE OA Dashboard", page_icon=":material/insights:", layout="wide")

PAGES = ROOT / "pages"
lang = ui.lang()
ANALYSIS = [
    st.Page(PAGES / "overview.py", title=t("nav.overview", lang), icon=":material/dashboard:", default=True,
            url_path="overview"),
    st.Page(PAGES / "acquisition.py", title=t("nav.acquisition", lang), icon=":material/person_add:"),
    st.Page(PAGES / "funnel.py", title=t("nav.funnel", lang), icon=":material/filter_alt:"),
    st.Page(PAGES / "cohorts.py", title=t("nav.cohorts", lang), icon=":material/grid_on:"),
    st.Page(PAGES / "engagement.py", title=t("nav.engagement", lang), icon=":material/touch_app:"),
    st.Page(PAGES / "deliveries.py", title=t("nav.deliveries", lang), icon=":material/send:"),
]
AUDIENCE = [
    st.Page(PAGES / "segments.py", title=t("nav.segments", lang), icon=":material/groups:"),
    st.Page(PAGES / "compose.py", title=t("nav.compose", lang), icon=":material/edit_square:"),
]
DATA = [
    st.Page(PAGES / "data.py", title=t("nav.data", lang), icon=":material/database:"),
]
st.navigation({t("nav.group.analysis", lang): ANALYSIS, t("nav.group.audience", lang): AUDIENCE,
               t("nav.group.data", lang): DATA}).run()
