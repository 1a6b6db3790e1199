"""Page widgets of ステップ配信 (pages/scenarios.py): the list, the timeline, the funnel per step and
the boxes that write (status, enrolment, import) — each write through dashboard.scenarios.actions,
which checks the role on the server."""
from __future__ import annotations

import json
import zoneinfo

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard.audience import saved
from dashboard.core.i18n import t
from dashboard.scenarios import actions, enrol, model, store
from dashboard.web import context


def say(exc: Exception, lang: str) -> str:
    """A refusal in the page's language: a scenario's or a rule's error by its text key, a role's
    refusal (written "日本語 / English") by its half; anything else as one sentence."""
    from dashboard.access import roles

    if hasattr(exc, "text") and callable(exc.text):
        return exc.text(lang)
    if isinstance(exc, roles.PermissionDenied) and " / " in str(exc):
        ja, _, en = str(exc).partition(" / ")
        return ja if lang == "ja" else en
    return t("scn.err.other", lang)


def list_table(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    out = frame.assign(status=frame["status"].map(lambda s: t(f"scn.status.{s}", lang)),
                       trigger=frame["trigger_json"].map(lambda j: t(f"scn.trigger.{json.loads(j)['type']}", lang)))
    columns = ["name", "status", "trigger", "steps", "enrolled", "in_progress", "completed", "exited", "updated_by"]
    return out[columns].rename(columns={c: t(f"scn.col.{c}", lang) for c in columns})


def _when(raw: dict, lang: str) -> str:
    if "after" in raw:
        unit, n = next(iter(raw["after"].items()))
        if n == 0:
            return t("scn.when.now", lang)
        return t({"minutes": "scn.when.after", "hours": "scn.when.after_hours", "days": "scn.when.after_days"}[unit],
                 lang, n=n)
    return t("scn.when.day", lang, day=raw["day"], at=raw["at"])


def _action(action, lang: str) -> str:
    if isinstance(action, dict):
        return t("scn.action.jump", lang, n=action["jump"])
    return t(f"scn.action.{action}", lang)


def timeline(scenario: model.Scenario, lang: str) -> pd.DataFrame:
    rows = []
    for step in scenario.steps:
        first = step.messages[0]
        cond = t("scn.cond.none", lang) if step.condition is None else t(
            "scn.cond.some", lang, met=_action(step.condition["met"], lang),
            otherwise=_action(step.condition["otherwise"], lang))
        rows.append({t("scn.col.step", lang): f"#{step.step_no} {step.name or ''}".strip(),
                     t("scn.col.when", lang): _when(step.raw_timing, lang), t("scn.col.condition", lang): cond,
                     t("scn.col.first", lang): first.get("text") or first.get("altText") or first.get("type")})
    return pd.DataFrame(rows)


def settings_line(scenario: model.Scenario, lang: str) -> str:
    s = scenario.settings
    return t("scn.settings", lang, window=s["window"] or t("scn.window.all", lang),
             refollow=t(f"scn.refollow.{s['refollow']}", lang), overdue=t(f"scn.overdue.{s['overdue']['policy']}", lang),
             grace=s["overdue"]["grace_minutes"])


_FUNNEL = ("sent", "reacted", "blocked", "converted")


def funnel_chart(frame: pd.DataFrame, lang: str) -> go.Figure:
    fig = go.Figure()
    for column in _FUNNEL:
        fig.add_bar(name=t(f"scn.col.{column}", lang), x=[f"#{n}" for n in frame["step_no"]], y=frame[column])
    fig.update_layout(barmode="group", height=320, margin=dict(l=10, r=10, t=30, b=10),
                      xaxis_title=t("scn.col.step", lang))
    return fig


def funnel_table(frame: pd.DataFrame, lang: str, worst: int | None, by_route: bool):
    columns = ["step_no", *(["inflow_route"] if by_route else []), *_FUNNEL, *([] if by_route else ["drop_off"])]
    names = {"step_no": t("scn.col.step", lang), "inflow_route": t("scn.col.route", lang),
             "drop_off": t("scn.col.drop", lang), **{c: t(f"scn.col.{c}", lang) for c in _FUNNEL}}
    shown = frame[columns].copy()
    # one number format, as text: the table shows what the page formats (a dash where nothing came before)
    for c in _FUNNEL:
        shown[c] = ["—" if pd.isna(v) else f"{int(v):,}" for v in shown[c]]
    if not by_route:
        shown["drop_off"] = ["—" if pd.isna(v) else f"{v:.1%}" for v in shown["drop_off"]]
    shown = shown.rename(columns=names)
    step_col = names["step_no"]

    def highlight(row):   # the step where most friends leave stands out
        return ["background-color: #ffe4e1" if row[step_col] == worst else "" for _ in row]

    styled = shown.style.apply(highlight, axis=1)
    return styled


def status_box(con, cur, name: str, status: str, lang: str) -> None:
    """Buttons for the moves a status allows; a resume first says how many steps would go out now."""
    for target in store.MOVES.get(status, ()):
        label = "scn.do.resume" if (status, target) == ("paused", "active") else f"scn.do.{target}"
        if (status, target) == ("paused", "active"):
            shown = store.resume_preview(cur, name)
            st.caption(t("scn.resume.preview", lang, now=shown["now"], overdue=shown["overdue"],
                         policy=t(f"scn.overdue.{shown['policy']}", lang)))
        elif target == "active":
            st.caption(t("scn.activate.note", lang))
        if st.button(t(label, lang), key=f"scn_do_{target}"):
            try:
                actions.set_status(con, context.require("draft"), name, target)
            except Exception as exc:   # a refused role or an invalid move: one sentence, never a traceback
                st.error(say(exc, lang), icon=":material/block:")
                return
            st.success(t("scn.changed", lang, status=t(f"scn.status.{target}", lang)))
            st.rerun()


def enrol_box(con, cur, name: str, tz: str, lang: str) -> None:
    segments = list(saved.list_segments(cur)["name"])
    if not segments:
        return
    segment = st.selectbox(t("scn.enrol.segment", lang), segments, key="scn_enrol_segment")
    shown = enrol.preview(cur, name, segment)
    st.write(t("scn.enrol.preview", lang, friends=shown["friends"], messages=shown["messages"], yen=shown["cost_yen"]))
    for step in shown["steps"]:
        at = step["at"].astimezone(zoneinfo.ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")
        st.caption(t("scn.enrol.step", lang, n=step["step"], friends=step["friends"], at=at))
    if shown["friends"] and st.button(t("scn.enrol.do", lang), key="scn_enrol_do"):
        try:
            done = actions.enrol_segment(con, context.require("send"), name, segment)
        except Exception as exc:
            st.error(say(exc, lang), icon=":material/block:")
            return
        st.success(t("scn.enrol.done", lang, n=done["enrolled"]))


def import_box(con, lang: str) -> None:
    upload = st.file_uploader(t("scn.import", lang), type=["json"], key="scn_import")
    if upload is None or not st.button(t("scn.import", lang), key="scn_import_do"):
        return
    try:
        scenario = actions.import_file(con, context.require("draft"), upload.getvalue().decode("utf-8"))
    except Exception as exc:   # an invalid file says where (ScenarioError), a role says which is needed
        st.error(t("scn.import.refused", lang, reason=say(exc, lang)), icon=":material/block:")
        return
    st.success(t("scn.import.done", lang, name=scenario.name, n=len(scenario.steps),
                 status=t(f"scn.status.{scenario.status}", lang)))


def test_box(con, cur, scenario: model.Scenario, lang: str) -> None:
    """Test send of one step, or of every step in order, to people on the admin's staff list —
    through the compose page's own test send (staff list, limits, quiet hours, the daily cap)."""
    from dashboard.messaging import actions as send_actions, staff
    from dashboard.web import questions

    crew = staff.members(cur)
    if crew.empty:
        st.caption(t("scn.test.no_staff", lang))
        return
    names = dict(zip(crew["user_id"], crew["label"].fillna("")))
    testers = st.multiselect(t("staff.pick", lang), list(names), key="scn_testers",
                             format_func=lambda u: f"{names[u]} ({u[:9]}…)" if names[u] else u)
    which = st.selectbox(t("scn.test.which", lang), ["all", *[s.step_no for s in scenario.steps]], key=context.lang_key("scn_test_step", lang),
                         format_func=lambda n: t("scn.test.all", lang) if n == "all" else f"#{n}")
    if not testers or not st.button(t("scn.test.do", lang), key="scn_test_do"):
        return
    steps = scenario.steps if which == "all" else [scenario.steps[which]]
    try:
        user, clients = context.require("test_send"), questions.line_clients()
        for step in steps:
            report = send_actions.test_send(con, cur, user, testers, step.messages, clients)
            st.write(f"#{step.step_no}: {report.status}")
    except send_actions.TestSendRefused as refused:
        for code, params in refused.problems:
            st.error(t(f"staff.err.{code}", lang, **params))
    except Exception as exc:   # a refused role, LINE refusing: one sentence
        line = getattr(exc, "message", None) if type(exc).__name__ == "LineError" else None
        st.error(t("scn.err.line", lang, message=line) if line else say(exc, lang), icon=":material/block:")
