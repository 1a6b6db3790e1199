"""The ステップ配信 page's editor: a scenario's trigger, window, exits and steps as widgets, each
step with the compose page's bubbles and its LINE-like preview, the example friend's timeline, and
Save — which goes through dashboard.scenarios.actions (role on the server) and model.parse (the
file format's own checks), so the editor can save nothing a scenario file could not hold.

Every widget is keyed `scn_e_*`; a step's widgets carry the step's own number (`scn_e_<uid>_*`)
so moving or removing a step never hands one step's text to another. Opening a scenario happens in
a button callback, before the widgets of the run exist (Streamlit lets a callback set their values).
"""
from __future__ import annotations

import datetime as dt
import json
import zoneinfo

import pandas as pd
import streamlit as st

from dashboard.audience import saved
from dashboard.core.i18n import t
from dashboard.messaging import planning
from dashboard.scenarios import actions, editing, model
from dashboard.web import compose_ui, context, words_ui

P = "scn_e"
ORDER, NEXT, OPENED = f"{P}_order", f"{P}_next", f"{P}_opened"
NEW = "__new__"


def _k(uid: int, name: str) -> str:
    return f"{P}_{uid}_{name}"


def _clock(text: str) -> dt.time:
    hour, minute = (int(x) for x in text.split(":"))
    return dt.time(hour % 24, minute)


def _hhmm(value) -> str:
    return value.strftime("%H:%M") if isinstance(value, dt.time) else str(value or "00:00")


def _seed_step(state: dict, uid: int, step: dict) -> None:
    timing = editing.timing_fields(step["timing"])
    state.update({_k(uid, "name"): step.get("name") or "", _k(uid, "mode"): timing["mode"], _k(uid, "n"): timing["n"],
                  _k(uid, "unit"): timing["unit"], _k(uid, "day"): timing["day"], _k(uid, "at"): _clock(timing["at"])})
    if compose_ui.editable(step["messages"]):
        state.update(compose_ui.seed(step["messages"], _k(uid, "msg")))
        state.pop(_k(uid, "keep"), None)
    else:   # kept exactly as the file wrote it (a sticker, a carousel): the editor has no form for it
        state[_k(uid, "keep")] = step["messages"]
    condition = step.get("condition")
    state[_k(uid, "cond")] = "none" if condition is None else "json"
    state[_k(uid, "rule")] = "" if condition is None else json.dumps(condition["rule"], ensure_ascii=False, indent=1)
    for side, default in (("met", "send"), ("otherwise", "skip")):
        kind, target = editing.action_fields((condition or {}).get(side, default))
        state[_k(uid, side)], state[_k(uid, f"{side}_to")] = kind, target if target is not None else uid + 1


def open_doc(doc: dict, name: str) -> None:
    """Put a scenario file into the editor's widgets (a button callback: before they are drawn)."""
    state = st.session_state
    for key in [k for k in state if isinstance(k, str) and k.startswith(P + "_")]:
        del state[key]
    trigger, window = doc["trigger"], doc.get("window")
    exits, overdue = doc.get("exit") or {}, doc.get("overdue") or {}
    values = {f"{P}_name": doc.get("name", ""), f"{P}_trigger": trigger["type"],
              f"{P}_unblocks": bool(trigger.get("unblocks")), f"{P}_routes": list(trigger.get("routes") or []),
              f"{P}_tag": trigger.get("tag", ""), f"{P}_question": trigger.get("question", ""),
              f"{P}_answer": trigger.get("answer") or "", f"{P}_segment": trigger.get("segment"),
              f"{P}_window_on": bool(window), f"{P}_from": _clock((window or "09:00-21:00").split("-")[0]),
              f"{P}_to": _clock((window or "09:00-21:00").split("-")[1]),
              f"{P}_grace": int(overdue.get("grace_minutes", 60)), f"{P}_policy": overdue.get("policy", "skip"),
              f"{P}_refollow": doc.get("refollow", "nothing"), f"{P}_purchase": bool(exits.get("purchase", True)),
              f"{P}_conversion": bool(exits.get("conversion", True)), f"{P}_exit_tags": "、".join(exits.get("tags") or []),
              f"{P}_left": exits.get("left_segment") or "", f"{P}_cap": bool(doc.get("frequency_cap", True))}
    for uid, step in enumerate(doc["steps"]):
        _seed_step(values, uid, step)
    values.update({ORDER: list(range(len(doc["steps"]))), NEXT: len(doc["steps"]), OPENED: name})
    state.update(values)


def _add_step() -> None:
    uid = st.session_state[NEXT]
    st.session_state[NEXT] = uid + 1
    _seed_step(st.session_state, uid, {"timing": {"after": {"days": 1}}, "messages": [{"type": "text", "text": ""}]})
    st.session_state[ORDER] = [*st.session_state[ORDER], uid]


def _move(index: int, by: int) -> None:
    st.session_state[ORDER] = editing.move(st.session_state[ORDER], index, by)


def _remove(index: int) -> None:
    order = list(st.session_state[ORDER])
    if len(order) > 1:
        order.pop(index)
    st.session_state[ORDER] = order


# ---- reading the widgets back into a scenario file ----------------------------------------------

def _step_doc(uid: int, rules_by_segment: dict) -> tuple[dict, list[str]]:
    """One step as the file format has it, and the problems that make it impossible to build
    (in the page's language, from the compose editor and a condition's JSON)."""
    get = st.session_state.get
    timing = editing.timing_of({"mode": get(_k(uid, "mode"), "after"), "n": get(_k(uid, "n"), 0),
                                "unit": get(_k(uid, "unit"), "days"), "day": get(_k(uid, "day"), 0),
                                "at": _hhmm(get(_k(uid, "at")))})
    problems = []
    if _k(uid, "keep") in st.session_state:
        messages = st.session_state[_k(uid, "keep")]
    else:
        messages, editor_problems = compose_ui.messages(_k(uid, "msg"))
        problems += [t(f"chk.{code}", context.lang(), **params) for code, params in editor_problems]
    step = {"timing": timing, "messages": messages}
    if (get(_k(uid, "name")) or "").strip():
        step["name"] = get(_k(uid, "name")).strip()
    mode = get(_k(uid, "cond"), "none")
    rule = None
    if mode == "segment" and get(_k(uid, "cond_segment")) in rules_by_segment:
        rule = rules_by_segment[get(_k(uid, "cond_segment"))]
    elif mode == "json":
        try:
            rule = json.loads(get(_k(uid, "rule")) or "null")
        except json.JSONDecodeError as exc:
            problems.append(t("scn.ed.rule_json", context.lang(), line=exc.lineno))
    if mode != "none" and rule is not None:
        step["condition"] = {"rule": rule, "met": editing.action_of(get(_k(uid, "met"), "send"), get(_k(uid, "met_to"))),
                             "otherwise": editing.action_of(get(_k(uid, "otherwise"), "skip"),
                                                            get(_k(uid, "otherwise_to")))}
    return step, problems


def current_doc(rules_by_segment: dict) -> tuple[dict, list[str]]:
    get = st.session_state.get
    kind = get(f"{P}_trigger", "follow")
    trigger = {"type": kind}
    if kind == "follow":
        trigger.update(unblocks=bool(get(f"{P}_unblocks")), routes=list(get(f"{P}_routes") or []))
    elif kind == "tag":
        trigger["tag"] = (get(f"{P}_tag") or "").strip()
    elif kind == "survey":
        trigger.update(question=(get(f"{P}_question") or "").strip(), answer=(get(f"{P}_answer") or "").strip() or None)
    elif kind == "segment":
        trigger["segment"] = get(f"{P}_segment") or ""
    window = f"{_hhmm(get(f'{P}_from'))}-{_hhmm(get(f'{P}_to'))}" if get(f"{P}_window_on") else None
    tags = [x.strip() for x in (get(f"{P}_exit_tags") or "").replace("、", ",").split(",") if x.strip()]
    steps, problems = [], []
    for n, uid in enumerate(get(ORDER, [])):
        step, step_problems = _step_doc(uid, rules_by_segment)
        steps.append(step)
        problems += [f"#{n}: {p}" for p in step_problems]
    doc = {"version": model.FORMAT_VERSION, "name": (get(f"{P}_name") or "").strip(), "trigger": trigger,
           "window": window, "overdue": {"grace_minutes": int(get(f"{P}_grace") or 0), "policy": get(f"{P}_policy", "skip")},
           "refollow": get(f"{P}_refollow", "nothing"),
           "exit": {"purchase": bool(get(f"{P}_purchase")), "conversion": bool(get(f"{P}_conversion")), "tags": tags,
                    "left_segment": get(f"{P}_left") or None},
           "frequency_cap": bool(get(f"{P}_cap", True)), "steps": steps}
    return doc, problems


# ---- drawing ----------------------------------------------------------------------------------

def _settings(f, segments: list[str], lang: str) -> None:
    st.text_input(t("scn.ed.name", lang), key=f"{P}_name", max_chars=model.MAX_NAME)
    kind = st.radio(t("scn.col.trigger", lang), model.TRIGGERS, key=f"{P}_trigger", horizontal=True,
                    format_func=lambda x: t(f"scn.trigger.{x}", lang))
    if kind == "follow":
        names = words_ui.labels(f)["routes"]   # every route of the account: {route: (ja, en)}
        st.checkbox(t("scn.ed.unblocks", lang), key=f"{P}_unblocks")
        known = list(dict.fromkeys([*names, *(st.session_state.get(f"{P}_routes") or [])]))
        st.multiselect(t("scn.ed.routes", lang), known, key=f"{P}_routes", placeholder=t("scn.ed.routes.all", lang),
                       format_func=lambda r: (names.get(r) or (r, r))[0 if lang == "ja" else 1])
    elif kind == "tag":
        st.text_input(t("scn.ed.tag", lang), key=f"{P}_tag")
    elif kind == "survey":
        st.text_input(t("scn.ed.question", lang), key=f"{P}_question")
        st.text_input(t("scn.ed.answer", lang), key=f"{P}_answer", placeholder=t("scn.ed.answer.any", lang))
    elif kind == "segment":
        st.selectbox(t("scn.ed.segment", lang), segments, key=f"{P}_segment", index=None,
                     placeholder=t("scn.ed.segment.pick", lang))
    left, middle, right = st.columns(3)
    if left.toggle(t("scn.ed.window", lang), key=f"{P}_window_on"):
        middle.time_input(t("scn.ed.from", lang), key=f"{P}_from", step=900)
        right.time_input(t("scn.ed.to", lang), key=f"{P}_to", step=900)
    quiet = planning.quiet_hours()
    st.caption(t("scn.ed.quiet", lang, start=quiet[0], end=quiet[1]) if quiet else t("scn.ed.quiet.none", lang))
    left, right = st.columns(2)
    left.number_input(t("scn.ed.grace", lang), min_value=0, max_value=7 * 24 * 60, step=15, key=f"{P}_grace")
    right.radio(t("scn.ed.policy", lang), model.OVERDUE, key=f"{P}_policy", horizontal=True,
                format_func=lambda x: t(f"scn.overdue.{x}", lang))
    st.radio(t("scn.ed.refollow", lang), model.REFOLLOW, key=f"{P}_refollow", horizontal=True,
             format_func=lambda x: t(f"scn.refollow.{x}", lang))
    a, b, c = st.columns(3)
    a.checkbox(t("scn.ed.exit_purchase", lang), key=f"{P}_purchase")
    b.checkbox(t("scn.ed.exit_conversion", lang), key=f"{P}_conversion")
    c.checkbox(t("scn.ed.cap", lang), key=f"{P}_cap")
    left, right = st.columns(2)
    left.text_input(t("scn.ed.exit_tags", lang), key=f"{P}_exit_tags", placeholder="配信停止、購入済み")
    right.selectbox(t("scn.ed.exit_left", lang), ["", *segments], key=f"{P}_left",
                    format_func=lambda s: s or t("scn.ed.none", lang))


def _condition(uid: int, n: int, count: int, segments: list[str], lang: str, names) -> None:
    mode = st.radio(t("scn.col.condition", lang), ("none", "segment", "json"), key=_k(uid, "cond"), horizontal=True,
                    format_func=lambda x: t(f"scn.ed.cond.{x}", lang))
    if mode == "none":
        return
    if mode == "segment":
        st.selectbox(t("scn.ed.segment", lang), segments, key=_k(uid, "cond_segment"), index=None,
                     placeholder=t("scn.ed.segment.pick", lang))
    else:
        st.text_area(t("scn.ed.rule", lang), key=_k(uid, "rule"), height=110, placeholder='{"version": 1, "rule": {…}}')
    left, right = st.columns(2)
    for column, side in ((left, "met"), (right, "otherwise")):
        kind = column.radio(t(f"scn.ed.{side}", lang), ("send", "skip", "jump"), key=_k(uid, side), horizontal=True,
                            format_func=lambda x: t("scn.ed.jump", lang) if x == "jump" else t(f"scn.action.{x}", lang))
        if kind == "jump":
            # any number: model.parse says (in words) when it is not a later step
            column.number_input(t("scn.ed.jump_to", lang), min_value=0, max_value=model.MAX_STEPS,
                                key=_k(uid, f"{side}_to"))


def _step(index: int, uid: int, count: int, segments: list[str], lang: str, names) -> None:
    with st.container(border=True):
        head, up, down, drop = st.columns([6, 1, 1, 1])
        head.markdown(f"**{t('scn.col.step', lang)} #{index}**")
        up.button("↑", key=_k(uid, "up"), on_click=_move, args=(index, -1), disabled=index == 0,
                  help=t("scn.ed.up", lang))
        down.button("↓", key=_k(uid, "down"), on_click=_move, args=(index, 1), disabled=index == count - 1,
                    help=t("scn.ed.down", lang))
        drop.button("✕", key=_k(uid, "drop"), on_click=_remove, args=(index,), disabled=count == 1,
                    help=t("scn.ed.remove", lang))
        st.text_input(t("scn.ed.step_name", lang), key=_k(uid, "name"))
        mode = st.radio(t("scn.col.when", lang), ("after", "day"), key=_k(uid, "mode"), horizontal=True,
                        format_func=lambda x: t(f"scn.ed.mode.{x}{'0' if index == 0 else ''}", lang))
        left, right = st.columns(2)
        if mode == "after":
            left.number_input(t("scn.ed.n", lang), min_value=0, max_value=525_600, key=_k(uid, "n"))
            right.radio(t("scn.ed.unit", lang), editing.UNITS, key=_k(uid, "unit"), horizontal=True,
                        format_func=lambda x: t(f"scn.ed.unit.{x}", lang))
        else:
            left.number_input(t("scn.ed.day", lang), min_value=0, max_value=365, key=_k(uid, "day"))
            right.time_input(t("scn.ed.at", lang), key=_k(uid, "at"), step=900)
        edit, preview = st.columns([3, 2])
        with edit:
            if _k(uid, "keep") in st.session_state:
                st.info(t("scn.ed.kept", lang), icon=":material/lock:")
            else:
                compose_ui.editor(lang, prefix=_k(uid, "msg"))
            _condition(uid, index, count, segments, lang, names)
        with preview:
            shown = st.session_state.get(_k(uid, "keep")) or compose_ui.messages(_k(uid, "msg"))[0]
            st.html(compose_ui.preview_html(shown, "LINE公式アカウント", lang))


def _schedule(doc: dict, tz: str, lang: str) -> None:
    """The example friend: enrolled today at 02:00 — the window and the quiet hours at work."""
    moment = editing.example_moment(dt.datetime.now(dt.timezone.utc), tz)
    zone = zoneinfo.ZoneInfo(tz)
    rows = [{t("scn.col.step", lang): f"#{n}", t("scn.ed.due", lang): at.astimezone(zone).strftime("%m/%d %H:%M")}
            for n, at in editing.example_schedule(doc, moment, tz=tz, quiet=planning.quiet_hours())]
    st.markdown(f"**{t('scn.ed.example', lang, at=moment.astimezone(zone).strftime('%m/%d %H:%M'))}**")
    st.dataframe(pd.DataFrame(rows), hide_index=True, key=f"{P}_schedule")
    st.caption(t("scn.ed.example.def", lang))


def _audience_rule(trigger: dict, rules_by_segment: dict) -> dict | None:
    """Who the scenario reaches, as a rule for the send-time evidence: a segment trigger's segment,
    a follow trigger's routes; all friends otherwise (None)."""
    if trigger["type"] == "segment":
        return rules_by_segment.get(trigger.get("segment"))
    if trigger["type"] == "follow" and trigger.get("routes"):
        return {"version": 1, "rule": {"field": "route", "in": list(trigger["routes"])}}
    return None


def panel(con, cur, f, names: list[str], statuses: dict, lang: str) -> None:
    """The editor: pick a scenario (or a new one), edit, check, save."""
    choice = st.selectbox(t("scn.ed.pick", lang), [NEW, *names], key=context.lang_key(f"{P}_pick", lang),
                          format_func=lambda n: t("scn.ed.new", lang) if n == NEW else n)
    if st.session_state.get(OPENED) != choice:
        st.button(t("scn.ed.open", lang), key=f"{P}_open", type="primary", on_click=_open, args=(f.db, choice))
        if OPENED not in st.session_state:
            return
        st.caption(t("scn.ed.editing", lang, name=st.session_state[OPENED] if st.session_state[OPENED] != NEW
                     else t("scn.ed.new", lang)))
    segment_frame = saved.list_segments(cur)
    segments = list(segment_frame["name"])
    rules_by_segment = {n: json.loads(d) for n, d in zip(segment_frame["name"], segment_frame["definition"])}
    rule_names = words_ui.labels(f)
    _settings(f, segments, lang)
    order = st.session_state.get(ORDER, [])
    for index, uid in enumerate(order):
        _step(index, uid, len(order), segments, lang, rule_names)
    st.button(t("scn.ed.add", lang), key=f"{P}_add", on_click=_add_step, disabled=len(order) >= model.MAX_STEPS,
              icon=":material/add:")
    doc, problems = current_doc(rules_by_segment)
    for problem in problems:
        st.error(problem, icon=":material/block:")
    try:
        scenario = model.parse(doc, planning.quiet_hours())
    except model.ScenarioError as exc:
        st.error(exc.text(lang), icon=":material/block:")
        return
    from dashboard.scenarios import store

    terms = store.term_checks(scenario)   # the compose page's content rules, per step
    for step_no, check in terms:
        show = st.error if check.level == "block" else st.warning
        show(t("scn.ed.warn_term", lang, step=step_no, text=check.text(lang)), icon=":material/warning:")
    if any(check.level == "block" for _, check in terms):
        return
    _schedule(doc, f.period.tz, lang)
    from dashboard.web import send_time_ui   # when this audience reacts: evidence for the steps' times

    send_time_ui.compose_panel(f, _audience_rule(doc["trigger"], rules_by_segment), lang)
    status = statuses.get(doc["name"])
    if status == "active":
        st.warning(t("scn.ed.active", lang), icon=":material/pause_circle:")
        return
    if problems or not context.allowed("draft"):
        return
    if st.button(t("scn.ed.save", lang), key=f"{P}_save", type="primary"):
        try:
            scenario = actions.save_definition(con, context.require("draft"), doc)
        except Exception as exc:   # a refused role or a refused change: one sentence in the page's language
            from dashboard.web.scenario_ui import say

            st.error(say(exc, lang), icon=":material/block:")
            return
        st.session_state[OPENED] = scenario.name
        st.success(t("scn.ed.saved", lang, name=scenario.name, n=len(scenario.steps),
                     status=t(f"scn.status.{scenario.status}", lang)))


def _open(db: str, choice: str) -> None:
    from dashboard.scenarios import store

    cur = context.cursor(db)   # a callback runs in the next run, after the page closed its cursor
    try:
        open_doc(editing.blank() if choice == NEW else store.export(cur, choice), choice)
    finally:
        cur.close()
