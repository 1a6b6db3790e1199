"""Entry point: navigation only. Every page lives in pages/ and draws the shared sidebar itself
(ui.page), so a page renders the same whether Streamlit runs it through this file or directly
(AppTest reruns a page of a `pages/` folder without this file: the MPA-v1 path)."""
import streamlit as st

from dashboard import ui
from dashboard.i18n import t

st.set_page_config(page_title="LINE OA Dashboard", page_icon=":material/insights:", layout="wide")

lang = ui.lang()
PAGES = [
    st.Page("pages/overview.py", title=t("nav.overview", lang), icon=":material/dashboard:", default=True),
    st.Page("pages/acquisition.py", title=t("nav.acquisition", lang), icon=":material/person_add:"),
    st.Page("pages/funnel.py", title=t("nav.funnel", lang), icon=":material/filter_alt:"),
    st.Page("pages/cohorts.py", title=t("nav.cohorts", lang), icon=":material/grid_on:"),
    st.Page("pages/engagement.py", title=t("nav.engagement", lang), icon=":material/touch_app:"),
    st.Page("pages/deliveries.py", title=t("nav.deliveries", lang), icon=":material/send:"),
]
page = st.navigation({t("nav.group.analysis", lang): PAGES})
page.run()
