"""The page context: the process's connection, the sidebar's filters, who is using the page, and
the frame navigation hands each page once it has checked the page's role (`context()`).
"""
from __future__ import annotations

import contextlib
import contextvars
from dataclasses import dataclass

import streamlit as st

from dashboard.core import config, storage
from dashboard.analytics import metrics
from dashboard.core.i18n import t

CACHE_TTL_S = 60
# Answers keyed by the data's version (data_version) are recomputed when the data changes; the TTL
# only bounds how long an answer that depends on the clock alone (the month's pace) may stay.
VERSIONED_TTL_S = 900


@dataclass(frozen=True)
class Filters:
    period: metrics.Period
    routes: tuple[str, ...]
    lang: str
    db: str


@st.cache_resource(show_spinner=False)
def _connection(db: str):
    # One connection per process and database file (cached for every session); each query takes
    # its own cursor, because a DuckDB connection is not thread-safe. A file made by an older
    # release gets its rollups rebuilt here, once.
    from dashboard.analytics import rollups

    con = storage.connect(db)
    rollups.ensure(con)
    return con


def cursor(db: str):
    return _connection(db).cursor()


def connection(f: Filters):
    """The process's read-write connection, for the few writes a page makes (saved segments)."""
    return _connection(f.db)


def data_version(db: str) -> str:
    """Changes whenever the rollups change (a loader round, an import, a send) or a delivery's
    status: part of every question's cache key, so live data shows on the next rerun and nothing
    is recomputed while it has not changed."""
    cur = cursor(db)
    try:
        return metrics.data_version(cur)
    finally:
        cur.close()


def lang() -> str:
    return st.session_state.get("lang", config.get("DASHBOARD_LANGUAGE") or "ja")


# The browser keeps what a keyed selectbox or multiselect shows for as long as its key stays: after a
# language switch it would still show the options in the old language. Such widgets take their key
# from lang_key(), which carries the language; switching carries every value over (carry_language).
def lang_key(key: str, current: str | None = None) -> str:
    return f"{key}.{current or lang()}"


def carry_language() -> None:
    """The language radio's on_change: each language-keyed value moves to the new language's key."""
    new = st.session_state.get("lang", "ja")
    old = "en" if new == "ja" else "ja"
    for key in [k for k in st.session_state if isinstance(k, str) and k.endswith("." + old)]:
        st.session_state[key[: -len(old)] + new] = st.session_state[key]


# ---- who is using the page (dashboard/access decides; these are the page-side helpers) -----------

def _streamlit_inputs() -> dict:
    """What Streamlit knows of this session, for access.sessions.resolve to decide who it is."""
    from dashboard.access import sessions

    try:
        oidc = st.user.to_dict()
    except Exception:   # no script run context (e.g. called from a thread)
        oidc = {}
    headers = {k.lower() for k in (st.context.headers or {}).keys()}
    ip = st.context.ip_address
    # Streamlit gives None for a localhost client (AppTest gives a stand-in object, not an address)
    client_is_local = (not isinstance(ip, str) or sessions.is_loopback(ip)) and not headers.intersection(
        sessions.FORWARDING_HEADERS)
    return {"oidc": oidc, "cookie": (st.context.cookies or {}).get(sessions.COOKIE_NAME),
            "server_address": st.get_option("server.address"), "client_is_local": client_is_local}


def session_status():
    """Who is using this Streamlit session, and if nobody, why (for the page to explain)."""
    from dashboard.access import sessions

    return sessions.resolve(**_streamlit_inputs())


def user():
    """The logged-in user of this session (access.roles.User) or None (see sessions.resolve for the order)."""
    return session_status().user


def actor() -> str:
    """The name written to audit_log and created_by for what this session does."""
    who = user()
    return who.name if who else "-"


def allowed(action: str) -> bool:
    who = user()
    return bool(who and who.may(action))


def require(action: str):
    """Server-side check before a write: the role may do `action`, or PermissionDenied (whatever
    the page showed or hid). Returns the user."""
    from dashboard.access import roles

    return roles.require(user(), action)


# ---- the frame navigation hands the page --------------------------------------------------------

# Set by navigation.py around `page.run()` (the same thread and script run), reset after it.
_CURRENT: contextvars.ContextVar[Filters | None] = contextvars.ContextVar("page_filters", default=None)


@contextlib.contextmanager
def entered(f: Filters):
    """navigation.py: the page run inside this block gets `f` from context()."""
    token = _CURRENT.set(f)
    try:
        yield f
    finally:
        _CURRENT.reset(token)


def context() -> Filters:
    """The filters of the page being run, already checked by navigation.py (role, sidebar). A page
    script run any other way (not through the navigation) is refused: nothing of the data."""
    f = _CURRENT.get()
    if f is None:
        st.error(t("auth.page_refused", lang()), icon=":material/block:")
        st.stop()
    return f
