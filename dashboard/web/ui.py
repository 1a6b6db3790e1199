"""Streamlit plumbing shared by every page: the connection, the sidebar filters, cached page
questions, KPI cards and CSV downloads. Pages stay thin: read widgets, call here, render.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard.core import config, storage
from dashboard.analytics import metrics
from dashboard.core.i18n import route_label, t

CACHE_TTL_S = 60


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


def data_version(db: str) -> str:
    """Changes whenever the rollups change (a loader round, an import, a send): part of every
    question's cache key, so live data shows on the next rerun instead of after the cache's TTL."""
    cur = cursor(db)
    try:
        return str(metrics.rollups_refreshed_at(cur))
    finally:
        cur.close()


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False, max_entries=512)
def question(db: str, name: str, first: dt.date, last: dt.date, tz: str,
             routes: tuple[str, ...], version: str = "", **kwargs):
    """A page question from dashboard.analytics.metrics, cached per database, period, routes and data version."""
    fn = getattr(metrics, name)
    period = metrics.Period(first, last, tz)
    cur = cursor(db)
    try:
        return fn(cur, period, list(routes), **kwargs)
    finally:
        cur.close()


def with_period(f: Filters, first: dt.date, last: dt.date) -> Filters:
    return Filters(metrics.Period(first, last, f.period.tz), f.routes, f.lang, f.db)


def lookback(f: Filters, key: str, label_key: str, options=(26, 13, 0)) -> Filters:
    """A radio for questions that need more history than a 4-week period shows (trends, 30-day
    rates, 12-week cohorts): N weeks up to the period's end, or the selected period (0)."""
    current = lang()  # fixed now: a format_func may be called after the script run
    weeks = st.radio(t(label_key, current), options=list(options), key=key, horizontal=True,
                     format_func=lambda w: t("common.lookback.period", current) if w == 0
                     else t("common.lookback.weeks", current, weeks=w))
    chosen = f if weeks == 0 else with_period(f, f.period.last - dt.timedelta(days=7 * weeks - 1), f.period.last)
    st.caption(f"{chosen.period.first} – {chosen.period.last}")
    return chosen


def ask(f: Filters, name: str, **kwargs):
    return question(f.db, name, f.period.first, f.period.last, f.period.tz, f.routes, data_version(f.db), **kwargs)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def _route_names(db: str, version: str = "") -> dict[str, tuple[str, str]]:
    cur = cursor(db)
    try:
        frame = metrics.routes(cur)
    finally:
        cur.close()
    return {r.route: (r.name_ja, r.name_en) for r in frame.itertuples()}


DEFAULT_DAYS = metrics.DEFAULT_DAYS


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


def lang() -> str:
    return st.session_state.get("lang", config.get("DASHBOARD_LANGUAGE") or "ja")


def sidebar() -> Filters | None:
    """Draw the shared sidebar; returns the filters, or None when they cannot be used."""
    db = str(config.db_path())
    tz = config.timezone()
    with st.sidebar:
        # persist_state: the sidebar is drawn by every page, and its choices must follow the user
        st.radio(t("sidebar.language", lang()), options=["ja", "en"], key="lang", horizontal=True,
                 persist_state="session",
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
        default = (last - dt.timedelta(days=DEFAULT_DAYS - 1), last)
        chosen = st.date_input(t("sidebar.period", current), value=default, key="period", persist_state="session",
                               max_value=max(last, dt.datetime.now(metrics.ZoneInfo(tz)).date()), format="YYYY-MM-DD")
        st.caption(t("sidebar.freshness", current, loaded=_stamp(refreshed, tz), newest=_stamp(newest, tz)))
        names = _route_names(db, version)
        routes = st.multiselect(t("sidebar.routes", current), options=list(names), key="routes", persist_state="session",
                                format_func=lambda r: route_label(r, names, current),
                                help=t("sidebar.routes.help", current),
                                placeholder=t("sidebar.routes.all", current), select_all=False)
        st.caption(f"{t('sidebar.tz', current)}: {tz}  \n{t('sidebar.db', current)}: `{Path(db).name}`")
        account_box(current)
    if not isinstance(chosen, (tuple, list)) or len(chosen) != 2:
        st.info(t("sidebar.period", current) + " …")  # the user is still picking the end date
        return None
    first, last_day = chosen
    if last_day < first:
        st.error(t("common.invalid_period", current))
        return None
    return Filters(metrics.Period(first, last_day, tz), tuple(routes), current, db)


def page(title_key: str) -> Filters | None:
    """Start a page: check the role may open it (a URL typed by hand reaches here too), the shared
    sidebar, then the page title. None when there is nothing to show."""
    import sys

    from dashboard.access import auth

    name = Path(sys._getframe(1).f_code.co_filename).stem  # the page script that called us
    who = user()
    if who is None or not who.may(auth.PAGES.get(name, "view")):
        st.error(t("auth.page_refused", lang()), icon=":material/block:")
        return None
    f = sidebar()
    st.title(t(title_key, lang()))
    return f


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
    from dashboard.access import auth, login_routes

    current = lang()
    status = auth.session_status()
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
    if auth.local_users():
        st.link_button(t("auth.login_local", current), login_routes.LOGIN_PATH, type="primary")
    if auth.oidc_configured():
        st.button(t("auth.login_oidc", current), key="auth_login_oidc", on_click=st.login)


def route_names(f: Filters) -> dict[str, tuple[str, str]]:
    return _route_names(f.db, data_version(f.db))


def multi(lang: str) -> dict:
    """A multiselect's own texts in our language: our placeholder instead of "Choose options", and
    no "Select all" (Streamlit's English, which no parameter translates)."""
    return {"placeholder": t("common.choose", lang), "select_all": False}


def definition(text: str) -> None:
    st.caption(f"**{t('common.definition', lang())}:** {text}")


def csv_download(frame: pd.DataFrame, name: str, key: str) -> None:
    if not allowed("export"):  # viewers: no downloads (they would carry user IDs)
        return
    from dashboard.core import csv_safe

    data = csv_safe.to_csv(frame).encode("utf-8-sig")  # formulas neutralised; BOM: Excel opens Japanese correctly
    st.download_button(t("common.csv", lang()), data=data, file_name=f"{name}.csv",
                       mime="text/csv", key=key)


# KPIs where a rise is bad news: their change is drawn red when it goes up.
_BAD_WHEN_UP = {"blocks", "block_rate"}
# KPIs whose rise is neither good nor bad (more messages sent is a cost, not a success): grey.
_NEUTRAL = {"messages_sent_month"}


def kpi(key: str, item: dict, active_days: int = 30) -> None:
    """A KPI card: value, change vs the previous period, and its definition in words."""
    from dashboard.analytics.report import fmt_change, fmt_value

    current = lang()
    change = item["change"]
    st.metric(t(f"kpi.{key}", current, days=active_days) if key == "active_friends" else t(f"kpi.{key}", current),
              fmt_value(key, item["value"]),
              delta=None if change is None else fmt_change(key, change) + " " + t("common.vs_prev", current),
              delta_color="off" if key in _NEUTRAL else "inverse" if key in _BAD_WHEN_UP else "normal", border=True)
    st.caption(t(f"kpi.{key}.def", current, days=active_days) if key == "active_friends" else t(f"kpi.{key}.def", current))


def quota_cards(q: dict) -> None:
    """The Overview's quota block: messages left this month, and the overage at the current pace."""
    current = lang()
    left, cost = st.columns(2)
    with left:
        st.metric(t("kpi.quota_left", current),
                  t("kpi.quota_left.none", current) if q["left"] is None else f"{q['left']:,}", border=True)
        st.caption(t("kpi.quota_left.def", current, used=f"{q['used']:,}", tests=f"{q['used_by_tests']:,}",
                     limit="—" if q["limit"] is None else f"{q['limit']:,}"))
    with cost:
        st.metric(t("kpi.quota_forecast", current), f"¥{q['forecast_yen']:,.0f}", border=True)
        st.caption(t("kpi.quota_forecast.def", current, forecast=f"{q['forecast']:,}", free=f"{q['free']:,}",
                     plan=t(f"code.plan.{q['plan']}", current)))
        if q["limit_reached_forecast"]:
            st.warning(t("kpi.quota_forecast.limit", current), icon=":material/warning:")


# ---- segments -------------------------------------------------------------------------------

# ---- who is using the page (dashboard/access/auth.py decides; these are the page-side helpers) --------

def user():
    """The logged-in user of this session (auth.User) or None."""
    from dashboard.access import auth

    return auth.current_user()


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
    from dashboard.access import auth

    return auth.require(user(), action)


def refuse(exc: Exception) -> None:
    st.error(str(exc), icon=":material/block:")


def connection(f: Filters):
    """The process's read-write connection, for the few writes a page makes (saved segments)."""
    return _connection(f.db)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False, max_entries=256)
def audience_question(db: str, name: str, rule_text: str | None, as_of, **kwargs):
    """dashboard.audience.running.<name> for a rule (JSON text), cached per database, rule and as_of."""
    import json

    from dashboard.audience import running

    cur = cursor(db)
    try:
        rule = None if rule_text is None else json.loads(rule_text)
        return getattr(running, name)(cur, rule, **kwargs) if rule is not None else getattr(running, name)(cur, **kwargs)
    finally:
        cur.close()


def segment_as_of(f: Filters):
    from dashboard.audience import running

    cur = cursor(f.db)
    try:
        return running.as_of(cur)
    finally:
        cur.close()


def members_csv(db: str, rule_text: str) -> bytes:
    """The members' LINE user IDs as CSV (column user_id), on its own cursor: it runs on click."""
    import json

    from dashboard.audience import running
    from dashboard.core import csv_safe

    cur = cursor(db)
    try:
        return csv_safe.to_csv(running.members(cur, json.loads(rule_text))).encode("utf-8")
    finally:
        cur.close()


@st.cache_resource(show_spinner=False)
def _line_clients(url: str, token_fingerprint: str):
    from dashboard.line import api

    return api.clients(url)


def line_clients():
    """LINE clients for this process, made once per base URL and token (not once per rerun: each
    holds a connection pool). Raises LineError when the settings must not be used (see line_api)."""
    import hashlib

    from dashboard.line import api

    url = api.base_url()
    return _line_clients(url, hashlib.sha256(api.token().encode()).hexdigest())


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def builder_options(db: str) -> dict:
    """The rule builder's pickers (tags, areas, categories …): cached, one of them scans events."""
    from dashboard.audience import running

    cur = cursor(db)
    try:
        return running.options(cur)
    finally:
        cur.close()
