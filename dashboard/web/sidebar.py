"""The shared sidebar navigation.py draws above every page (language, sandbox/live badge, database,
period, routes, who is logged in), and the log-in page someone not logged in sees instead.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard.core import config, storage
from dashboard.analytics import metrics
from dashboard.core.i18n import route_label, t
from dashboard.web import periods
from dashboard.web.context import (CACHE_TTL_S, Filters, _connection, carry_language, cursor, data_version, lang,
                                   lang_key, session_status, user)

DEFAULT_DAYS = metrics.DEFAULT_DAYS


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def _route_names(db: str, version: str = "") -> dict[str, tuple[str, str]]:
    cur = cursor(db)
    try:
        frame = metrics.routes(cur)
    finally:
        cur.close()
    return {r.route: (r.name_ja, r.name_en) for r in frame.itertuples()}


def route_names(f: Filters) -> dict[str, tuple[str, str]]:
    return _route_names(f.db, data_version(f.db))


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def _freshness(db: str, tz: str, version: str = "") -> tuple[dt.date, dt.datetime | None, dt.datetime | None]:
    """(the default period's last day, the newest event, when the data was last refreshed)."""
    cur = cursor(db)
    try:
        _, last = metrics.data_range(cur)
        from dashboard.analytics import rollups

        refreshed = (rollups.state(cur) or {}).get("refreshed_at")
    finally:
        cur.close()
    return metrics.default_last_day(dt.datetime.now(metrics.ZoneInfo(tz)).date(),
                            None if last is None else pd.Timestamp(last).tz_convert(tz).date()), last, refreshed


def _stamp(moment, tz: str) -> str:
    return "—" if moment is None or pd.isna(moment) else pd.Timestamp(moment).tz_convert(tz).strftime("%Y-%m-%d %H:%M")


def draw() -> Filters | None:
    """Draw the shared sidebar; returns the filters, or None when they cannot be used."""
    db = str(config.db_path())
    tz = config.timezone()
    with st.sidebar:
        # persist_state: the sidebar is drawn on every page, and its choices must follow the user
        st.radio(t("sidebar.language", lang()), options=["ja", "en"], key="lang", horizontal=True,
                 persist_state="session", on_change=carry_language,
                 format_func=lambda code: "日本語" if code == "ja" else "English")
        current = lang()
        if config.is_sandbox():
            st.success(t("sidebar.sandbox", current), icon=":material/science:")
        else:
            st.warning(t("sidebar.live", current), icon=":material/cell_tower:")
        if not Path(db).exists():
            st.error(t("common.no_db", current) + db)
            return None
        try:
            _connection(db)
        except storage.StorageError as err:   # e.g. a command holds the file: one line, never a traceback
            st.error(t("common.db_unavailable", current, reason=str(err).replace(str(Path(db).parent) + "/", "")))
            return None
        version = data_version(db)
        last, newest, refreshed = _freshness(db, tz, version)
        chosen = periods.sidebar_period(last, max(last, dt.datetime.now(metrics.ZoneInfo(tz)).date()), current)
        st.caption(t("sidebar.freshness", current, loaded=_stamp(refreshed, tz), newest=_stamp(newest, tz)))
        names = _route_names(db, version)
        routes = st.multiselect(t("sidebar.routes", current), options=list(names), key=lang_key("routes", current),
                                persist_state="session",
                                format_func=lambda r: route_label(r, names, current),
                                help=t("sidebar.routes.help", current),
                                placeholder=t("sidebar.routes.all", current), select_all=False)
        st.caption(f"{t('sidebar.tz', current)}: {tz}  \n{t('sidebar.db', current)}: `{Path(db).name}`")
        account_box(current)
    if chosen is None:   # the end before the start: the sidebar says so
        return None
    first, last_day = chosen
    return Filters(metrics.Period(first, last_day, tz), tuple(routes), current, db)


def account_box(current: str) -> None:
    """Who is logged in, with what role, and how to log out."""
    from dashboard.access import login_routes

    who = user()
    if who is None:
        return
    st.caption(t("auth.signed_in", current, name=who.name, role=t(f"auth.role.{who.role}", current)))
    if who.method == "local":
        st.link_button(t("auth.logout", current), login_routes.LOGOUT_PATH)
    elif who.method == "oidc":
        st.button(t("auth.logout", current), key="auth_logout", on_click=st.logout)


def login_page() -> None:
    """What someone who is not logged in sees instead of the dashboard: nothing of the data."""
    from dashboard.access import login_routes, oidc, passwords

    current = lang()
    status = session_status()
    st.title(t("auth.title", current))
    if status.reason == "unprotected":
        st.error(t("auth.unprotected", current), icon=":material/lock:")
        st.markdown(t("auth.unprotected.how", current))
        return
    if status.reason == "oidc_unmapped":
        st.warning(t("auth.no_role", current), icon=":material/person_off:")
        st.button(t("auth.logout", current), key="auth_logout_unmapped", on_click=st.logout)
        return
    if status.reason == "expired":
        st.info(t("auth.expired", current))
    if status.reason == "signed_out":   # a cookie from before a log-out: say so, not that it timed out
        st.info(t("auth.signed_out", current))
    if passwords.local_users():
        st.link_button(t("auth.login_local", current), login_routes.LOGIN_PATH, type="primary")
    if oidc.oidc_configured():
        st.button(t("auth.login_oidc", current), key="auth_login_oidc", on_click=st.login)
