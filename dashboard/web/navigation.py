"""The Streamlit script every session runs: it routes. It registers the pages the user's role may
open, checks the role again on the page st.navigation returned (a URL typed by hand reaches here
too), draws the shared sidebar and the page's title, and runs the page with its frame
(`ui.context()` in the page returns it). Pages only read their widgets, call functions, render.

Why this lives here and not in app.py: Streamlit treats a folder named `pages/` beside the main
script as an old-style (v1) multipage app and, on a fresh server whose first request is a deep link
(/segments), runs that page alone with a file-name menu. With the main script here, the folder is
not beside it, and st.navigation is always in charge. app.py at the root serves this script
(st.App) and is what `streamlit run app.py` starts.
"""
import streamlit as st

from dashboard.access import roles
from dashboard.web import context, errors, health_ui, sidebar
from dashboard.core.config import ROOT
from dashboard.core.i18n import t

st.set_page_config(page_title="LINE OA Dashboard", page_icon=":material/insights:", layout="wide")

PAGES = ROOT / "pages"
# (group, page file name, icon, title): a page is listed only when the user's role may open it
LAYOUT = (
    ("nav.group.analysis", "overview", ":material/dashboard:", "overview.title"),
    ("nav.group.analysis", "health", ":material/monitor_heart:", "hl.title"),
    ("nav.group.analysis", "acquisition", ":material/person_add:", "acq.title"),
    ("nav.group.analysis", "funnel", ":material/filter_alt:", "funnel.title"),
    ("nav.group.analysis", "cohorts", ":material/grid_on:", "cohorts.title"),
    ("nav.group.analysis", "engagement", ":material/touch_app:", "eng.title"),
    ("nav.group.analysis", "deliveries", ":material/send:", "dlv.title"),
    ("nav.group.audience", "segments", ":material/groups:", "seg.title"),
    ("nav.group.audience", "friend", ":material/person_search:", "fr.title"),
    ("nav.group.analysis", "crosstab", ":material/table_view:", "fr.ct.title"),
    ("nav.group.analysis", "send_time", ":material/schedule:", "fr.st_page.title"),
    ("nav.group.audience", "compose", ":material/edit_square:", "cmp.page_title"),
    ("nav.group.audience", "scenarios", ":material/timeline:", "scn.title"),
    ("nav.group.data", "data", ":material/database:", "data.title"),
    ("nav.group.data", "audit", ":material/history:", "audit.title"),
)
TITLES = {name: title for _, name, _, title in LAYOUT}

lang = context.lang()
user = context.user()
if user is None:  # nothing of the data: a log-in page (or how to set log-in up) at every URL
    st.navigation([st.Page(sidebar.login_page, title=t("auth.title", lang), icon=":material/lock:", url_path="login")],
                  position="hidden").run()
    st.stop()
may_open = set(roles.pages_for(user.role))

groups: dict[str, list] = {}
for group, name, icon, _ in LAYOUT:
    if name in may_open:
        # the Health page's title carries the count of open alerts (issue 16)
        title = health_ui.nav_title(lang) if name == "health" else t(f"nav.{name}", lang)
        groups.setdefault(t(group, lang), []).append(
            st.Page(PAGES / f"{name}.py", title=title, icon=icon, url_path=name, default=name == "overview"))
current = st.navigation(groups, expanded=True)   # every page listed, none behind "View more"
name = current.url_path or "overview"
with errors.guard(lang, name):  # a sentence and a reference, never a traceback
    if name not in roles.PAGES or not user.may(roles.PAGES[name]):
        st.error(t("auth.page_refused", lang), icon=":material/block:")
        st.stop()
    f = sidebar.draw()
    st.title(t(TITLES[name], context.lang()))
    if f is None:
        st.stop()
    with context.entered(f):
        current.run()
