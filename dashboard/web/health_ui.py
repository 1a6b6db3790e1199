"""Widgets of the Health page (issue 16) and the check-up's pieces on other pages: the count in the
sidebar's page list, the alerts on the page they concern, the goals with their chart and the admin's
goal form, the alerts with acknowledge / mute. Decisions, role checks and audit live in
dashboard/checkup/ (goals.py, alerts.py); the words in checkup/words.py.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import plotly.graph_objects as go
import streamlit as st

from dashboard.access import roles
from dashboard.checkup import alerts, goals, words
from dashboard.core import config
from dashboard.core.i18n import t
from dashboard.web import charts, ui
from dashboard.web.context import _connection

LOG = logging.getLogger(__name__)
PAGES = config.ROOT / "pages"
_FLASH = "hl_flash"


# ---- the sidebar's count and the check itself ---------------------------------------------------

CHECK_EVERY_S = 10.0   # a page asks whether a check is due at most this often per database (issue 18)
_asked: dict[str, float] = {}


def _checked_connection(db: str):
    """The process's connection after a check when the last one is too old (the worker checks too).
    Whether it is too old is asked at most every CHECK_EVERY_S, not on every rerun of every session."""
    con = _connection(db)
    now = time.monotonic()
    if now - _asked.get(db, float("-inf")) >= CHECK_EVERY_S:
        _asked[db] = now
        alerts.check_if_stale(con)
    return con


@st.cache_data(ttl=ui.CACHE_TTL_S, show_spinner=False)
def _live_alerts(db: str, changes: int) -> list:
    cur = ui.cursor(db)
    try:
        return alerts.live(cur)
    finally:
        cur.close()


def _cached_live(db: str) -> list:
    """The unresolved alerts, shared by every session until the next write of alerts (alerts.changes)."""
    _checked_connection(db)
    return _live_alerts(db, alerts.changes())


def open_count(db: str) -> int:
    now = dt.datetime.now(dt.timezone.utc)
    return sum(1 for a in _cached_live(db) if a.is_open(now))


def nav_title(lang: str) -> str:
    """The Health page's title in the page list, with the count of open alerts. A database that
    cannot be used yet (the sidebar says why) or a failing check leaves the plain title."""
    db = str(config.db_path())
    if not Path(db).exists():
        return t("hl.nav", lang)
    try:
        n = open_count(db)
    except Exception:   # the page list must always draw; the Health page shows the error itself
        LOG.exception("check-up count for the page list failed")
        return t("hl.nav", lang)
    return t("hl.nav.count", lang, n=n) if n else t("hl.nav", lang)


def _flash(kind: str, text: str) -> None:
    st.session_state[_FLASH] = (kind, text)


def flash() -> None:
    """The result of the last click (kept over the rerun that follows it)."""
    found = st.session_state.pop(_FLASH, None)
    if found:
        (st.success if found[0] == "ok" else st.warning)(found[1])


def check_bar(f) -> None:
    lang = f.lang
    con = _checked_connection(f.db)
    if st.button(t("hl.check_now", lang), key="hl_check_now"):
        found = alerts.check(con)
        _flash("ok", t("hl.checked", lang, n=len(found)))
        st.rerun()
    cur = con.cursor()
    try:
        last = alerts.last_check(cur)
    finally:
        cur.close()
    if last["checked_at"] is None:
        st.caption(t("hl.never_checked", lang))
    else:
        st.caption(t("hl.as_of", lang, as_of=words.when(last["as_of"], f.period.tz),
                     checked=words.when(last["checked_at"], f.period.tz)))


# ---- alerts -------------------------------------------------------------------------------------

def _live(f):
    return _cached_live(f.db)


def _page_link(page: str, lang: str) -> None:
    label = t("hl.alert.open_page", lang, page=t(f"nav.{page}", lang))
    st.page_link(str(PAGES / f"{page}.py"), label=label, icon=":material/arrow_forward:")


def _card(f, a: alerts.Alert, names: dict, *, actions: bool) -> None:
    lang = f.lang
    d = words.describe(a.rule, a.subject, a.evidence, lang, names)
    with st.container(border=True):
        st.markdown(f"**{d['title']}**  \n:orange-badge[{d['urgency']}] "
                    f"{t('hl.alert.raised', lang, at=words.when(a.raised_at, f.period.tz))}")
        st.markdown(f"**{t('hl.alert.evidence', lang)}:** {d['why']}")
        st.markdown(f"**{t('hl.alert.action', lang)}:** {d['action']}")
        st.caption(f"{t('hl.alert.rule', lang)}: {d['rule']}")
        _page_link(d["page"], lang)
        if a.status == "acknowledged":
            st.caption(t("hl.alert.acked", lang, who=a.acted_by or "—", at=words.when(a.acted_at, f.period.tz)))
        elif a.status == "muted" and not a.is_open(dt.datetime.now(dt.timezone.utc)):
            st.caption(t("hl.alert.muted", lang, until=words.when(a.muted_until, f.period.tz), who=a.acted_by or "—"))
        if actions:
            _actions(f, a)


def _actions(f, a: alerts.Alert) -> None:
    lang = f.lang
    if not ui.allowed("alerts"):
        st.caption(t("hl.alert.only_operators", lang))
        return
    left, mid, right, _ = st.columns([2, 2, 2, 3])
    if a.status != "acknowledged" and left.button(t("hl.alert.ack", lang), key=f"hl_ack_{a.alert_id}"):
        _act(f, lambda con, who: alerts.acknowledge(con, who, a.alert_id))
    # the language in the key: a keyed selectbox keeps showing its label of the other language after a switch
    days = mid.selectbox(t("hl.alert.mute_for", lang), alerts.MUTE_DAYS, key=f"hl_mute_days_{lang}_{a.alert_id}",
                         format_func=lambda n: t("hl.alert.mute_days", lang, days=n), label_visibility="collapsed")
    if right.button(t("hl.alert.mute", lang), key=f"hl_mute_{a.alert_id}"):
        _act(f, lambda con, who: alerts.mute(con, who, a.alert_id, days))


def _act(f, action) -> None:
    try:
        done = action(ui.connection(f), ui.user())   # the role is checked again in dashboard/checkup/alerts.py
    except roles.PermissionDenied as exc:
        ui.refuse(exc)
        return
    except alerts.AlertError as exc:
        _flash("warn", t(f"hl.alert.err.{exc.code}", f.lang))
    else:
        _flash("ok", t(f"hl.alert.done.{done.status}", f.lang))
    st.rerun()


def alerts_panel(f) -> None:
    """Open alerts first, with their evidence, action and buttons; then the handled or muted ones."""
    lang = f.lang
    names = ui.route_names(f)
    now = dt.datetime.now(dt.timezone.utc)
    found = _live(f)
    opened = [a for a in found if a.is_open(now)]
    handled = [a for a in found if not a.is_open(now)]
    if not opened:
        st.success(t("hl.alerts.none", lang), icon=":material/check_circle:")
    else:
        st.caption(t("hl.alerts.open", lang, n=len(opened)))
    for a in opened:
        _card(f, a, names, actions=True)
    if handled:
        with st.expander(t("hl.alerts.handled", lang, n=len(handled))):
            for a in handled:
                _card(f, a, names, actions=a.status == "acknowledged")


def alerts_here(f, page: str) -> None:
    """On the page an alert concerns: its title, evidence and action, and the way to the Health page.
    Nothing when no open alert concerns the page (or the check cannot run: the Health page says why)."""
    try:
        now = dt.datetime.now(dt.timezone.utc)
        mine = [a for a in _live(f) if a.page == page and a.is_open(now)]
    except Exception:
        LOG.exception("check-up alerts for page %s failed", page)
        return
    if not mine:
        return
    lang = f.lang
    names = ui.route_names(f)
    with st.expander(t("hl.here.title", lang, n=len(mine)), expanded=True, icon=":material/warning:"):
        for a in mine:
            d = words.describe(a.rule, a.subject, a.evidence, lang, names)
            st.markdown(f"**{d['title']}** — {d['why']}  \n{t('hl.alert.action', lang)}: {d['action']}")
        st.page_link(str(PAGES / "health.py"), label=t("hl.here.more", lang), icon=":material/monitor_heart:")


# ---- goals --------------------------------------------------------------------------------------

@st.cache_data(ttl=ui.VERSIONED_TTL_S, show_spinner=False)
def _statuses(db: str, version: str, goals_version: str) -> list:
    cur = ui.cursor(db)
    try:
        return goals.statuses(cur)
    finally:
        cur.close()


def _goal_statuses(f) -> list:
    cur = ui.cursor(f.db)
    try:
        listing = goals.listing(cur)
    finally:
        cur.close()
    return _statuses(f.db, ui.data_version(f.db), listing.to_json(date_format="iso"))


def goal_chart(g, lang: str) -> go.Figure:
    """The weekly values, the target, and the fitted line carried on to the due date."""
    known = [(d, v) for d, v in g.history if v is not None]
    scale = 100 if g.kpi in goals.RATES else 1
    fig = go.Figure()
    fig.add_scatter(x=[d for d, _ in known], y=[v * scale for _, v in known], mode="lines+markers",
                    name=t("hl.chart.value", lang), line=dict(color=charts.GREEN, width=3))
    first = known[0][0] if known else g.as_of_day
    fig.add_scatter(x=[first, g.due_on], y=[g.target * scale] * 2, mode="lines", name=t("hl.chart.target", lang),
                    line=dict(color=charts.RED, dash="dash"))
    if g.forecast is not None and g.current is not None:
        fig.add_scatter(x=[g.as_of_day, g.due_on], y=[g.current * scale, g.forecast * scale], mode="lines",
                        name=t("hl.chart.forecast", lang), line=dict(color=charts.BLUE, dash="dot"))
    fig.update_layout(template="plotly_white", height=220, margin=dict(l=10, r=10, t=10, b=10),
                      font=dict(family=charts.FONT, size=12), hovermode="x unified", xaxis_tickformat="%m-%d",
                      legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0),
                      yaxis_ticksuffix="%" if scale == 100 else "", yaxis_tickformat=",.1f" if scale == 100 else ",d")
    return fig


def goals_panel(f) -> None:
    lang = f.lang
    st.caption(t("hl.goals.def", lang, days=goals.WINDOW_DAYS))
    found = _goal_statuses(f)
    if not found:
        st.info(t("hl.goals.none", lang))
    for row_start in range(0, len(found), 2):
        for col, g in zip(st.columns(2), found[row_start:row_start + 2]):
            lines = words.goal_lines(g, lang)
            with col.container(border=True):
                st.markdown(f"**{lines['label']}** — {lines['state']}")
                st.markdown(f"{lines['current']} · {lines['target']}")
                if g.progress is not None:
                    st.progress(min(max(g.progress, 0.0), 1.0), text=lines["progress"])
                for part in ("pace", "trend", "forecast"):
                    if lines[part]:
                        st.caption(lines[part])
                st.plotly_chart(goal_chart(g, lang), key=f"hl_goal_chart_{g.kpi}")
                st.caption(lines["method"] + " " + lines["set_by"])
    goal_form(f)


def goal_form(f) -> None:
    """Admins only (hidden for others, and refused on the server by goals.set_goal whatever the page showed)."""
    lang = f.lang
    if not ui.allowed("set_goals"):
        st.caption(t("hl.goals.admin_only", lang))
        return
    with st.expander(t("hl.goal.form", lang)):
        kpi = st.selectbox(t("hl.goal.form.kpi", lang), list(goals.KPIS), key=f"hl_goal_kpi_{lang}",
                           format_func=lambda k: words.kpi_label(k, lang))
        is_rate = kpi in goals.RATES
        target = st.number_input(t("hl.goal.form.target_pct" if is_rate else "hl.goal.form.target", lang), min_value=0.0,
                                 max_value=100.0 if is_rate else None, step=0.1 if is_rate else 1.0,
                                 format="%.1f" if is_rate else "%.0f", key=f"hl_goal_target_{kpi}")
        if goals.KPIS[kpi]:
            st.caption(t("hl.goal.form.lower", lang))
        today = dt.datetime.now(ZoneInfo(f.period.tz)).date()
        due = st.date_input(t("hl.goal.form.due", lang), value=today + dt.timedelta(days=90),
                            min_value=today + dt.timedelta(days=1), key="hl_goal_due", format="YYYY-MM-DD")
        left, right = st.columns(2)
        if left.button(t("hl.goal.form.save", lang), key="hl_goal_save", type="primary"):
            _goal_write(f, lambda con, who: goals.set_goal(con, who, kpi, target / 100 if is_rate else target, due),
                        "hl.goal.saved")
        if right.button(t("hl.goal.form.clear", lang), key="hl_goal_clear"):
            _goal_write(f, lambda con, who: goals.clear_goal(con, who, kpi), "hl.goal.cleared")


def _goal_write(f, write, done_key: str) -> None:
    try:
        write(ui.connection(f), ui.user())
    except roles.PermissionDenied as exc:
        ui.refuse(exc)
        return
    except goals.GoalError as exc:
        st.warning(t(f"hl.goal.err.{exc.code}", f.lang, **exc.params))
        return
    _statuses.clear()
    _flash("ok", t(done_key, f.lang))
    st.rerun()
