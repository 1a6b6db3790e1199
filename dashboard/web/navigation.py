"""The Streamlit script every session runs: navigation only. Each page in pages/ draws the shared
sidebar itself (ui.page).

Why this lives here and not in app.py: Streamlit treats a folder named `pages/` beside the main
script as an old-style (v1) multipage app and, on a fresh server whose first request is a deep link
(/segments), runs that page alone with a file-name menu. With the main script here, the folder is
not beside it, and st.navigation is always in charge. app.py at the root serves this script
(st.App) and is what `streamlit run app.py` starts.
"""
import streamlit as st

from dashboard.access import auth
from dashboard.web import errors, ui
from dashboard.core.config import ROOT
from dashboard.core.i18n import t

st.set_page_config(page_title="LINE OA Dashboard", page_icon=":material/insights:", layout="wide")

PAGES = ROOT / "pages"
lang = ui.lang()
user = ui.user()
if user is None:  # nothing of the data: a log-in page (or how to set log-in up) at every URL
    st.navigation([st.Page(ui.login_page, title=t("auth.title", lang), icon=":material/lock:", url_path="login")],
                  position="hidden").run()
    st.stop()
may_open = set(auth.pages_for(user.role))  # the others are hidden here AND refused in ui.page

# (group, page file name, icon): a page is listed only when the user's role may open it
LAYOUT = (
    ("nav.group.analysis", "overview", ":material/dashboard:"),
    ("nav.group.analysis", "acquisition", ":material/person_add:"),
    ("nav.group.analysis", "funnel", ":material/filter_alt:"),
    ("nav.group.analysis", "cohorts", ":material/grid_on:"),
    ("nav.group.analysis", "engagement", ":material/touch_app:"),
    ("nav.group.analysis", "deliveries", ":material/send:"),
    ("nav.group.audience", "segments", ":material/groups:"),
    ("nav.group.audience", "compose", ":material/edit_square:"),
    ("nav.group.data", "data", ":material/database:"),
    ("nav.group.data", "audit", ":material/history:"),
)
groups: dict[str, list] = {}
for group, name, icon in LAYOUT:
    if name in may_open:
        groups.setdefault(t(group, lang), []).append(
            st.Page(PAGES / f"{name}.py", title=t(f"nav.{name}", lang), icon=icon, url_path=name,
                    default=name == "overview"))
current = st.navigation(groups)
with errors.guard(lang, current.url_path or "overview"):  # a sentence and a reference, never a traceback
    current.run()
