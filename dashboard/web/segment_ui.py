"""The segment rule builder on the Segments page: a tree of groups and conditions kept in session
state, drawn with widgets keyed by node id, and turned into the JSON rule of dashboard.audience.rules.

Builder node shapes (session state only; the saved form is the rule JSON):
    group:     {"id": "n1", "kind": "group", "op": "all" | "any", "negate": bool, "children": [...]}
    condition: {"id": "n2", "kind": "cond", "field": "route", "negate": bool}
A condition's values live in widgets keyed f"seg_{id}_{name}" and are read when the rule is built.
"""
from __future__ import annotations

import json

import streamlit as st

from dashboard.web.context import lang_key

from dashboard.audience import rules
from dashboard.core.i18n import t


def ui_multi(lang: str) -> dict:
    from dashboard.web import ui

    return ui.multi(lang)

STATE = "seg_tree"
# Widget values outlive a page change (the Compose page reads the rule built here).
PERSIST = "session"
FIELDS = ("interest", "genre", "route", "following", "followed", "tags", "attribute", "customer",
          "purchased", "never_purchased", "orders", "revenue", "reactions", "richmenu_tap", "clicked",
          "received")


def _new_id() -> str:
    counter = st.session_state.setdefault("seg_next_id", 1)
    st.session_state["seg_next_id"] = counter + 1
    return f"n{counter}"


def new_group(op: str = "all") -> dict:
    return {"id": _new_id(), "kind": "group", "op": op, "negate": False, "children": []}


def new_condition(field: str) -> dict:
    return {"id": _new_id(), "kind": "cond", "field": field, "negate": False}


def tree() -> dict:
    if STATE not in st.session_state:
        root = new_group("all")
        root["children"].append(new_condition("following"))
        st.session_state[STATE] = root
    return st.session_state[STATE]


def _button_key(node: dict, name: str) -> str:
    # a button's value cannot be set through session state, so it is never language-keyed (carried)
    return f"seg_{node['id']}_{name}"


def _key(node: dict, name: str) -> str:
    # language-keyed (web/context.lang_key): the builder's selectboxes show translated options
    return lang_key(f"seg_{node['id']}_{name}")


def _value(node: dict, name: str, default=None):
    return st.session_state.get(_key(node, name), default)


def _csv(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def condition_json(node: dict) -> dict:
    """The rule JSON of one condition from its widgets' current values."""
    f = node["field"]
    v = lambda name, default=None: _value(node, name, default)  # noqa: E731
    if f in ("interest", "genre", "route"):
        out = {"field": f, "in": list(v("in", []))}
    elif f == "following":
        out = {"field": f, "value": v("value", True)}
    elif f == "followed":
        out = {"field": f, "within_days": int(v("within_days", 30))}
    elif f == "tags":
        out = {"field": f, "match": v("match", "any"), "tags": list(v("tags", []))}
    elif f == "attribute":
        op = v("op", "eq")
        raw = v("value", "")
        value = _csv(raw) if op == "in" else (_number(raw) if op in ("lt", "le", "gt", "ge") else raw)
        out = {"field": f, "key": v("key", ""), "op": op, "value": value}
    elif f == "customer":
        out = {"field": f, "linked": v("linked", True)}
    elif f == "purchased":
        out = {"field": f, "within_days": int(v("within_days", 90))}
        if v("category"):
            out["category"] = v("category")
    elif f == "never_purchased":
        out = {"field": f}
    elif f in ("orders", "revenue"):
        out = {"field": f}
        if v("min") is not None:
            out["min"] = v("min")
        if v("max") is not None:
            out["max"] = v("max")
    elif f == "reactions":
        out = {"field": f, "type": v("type", "any"), "min": int(v("min", 1)), "within_days": int(v("within_days", 30))}
    elif f == "richmenu_tap":
        out = {"field": f, "area": v("area", ""), "within_days": int(v("within_days", 30))}
    elif f == "clicked":
        out = {"field": f, "delivery_id": v("delivery_id", "")}
    elif f == "received":
        out = {"field": f, "min": int(v("min", 3)), "within_days": int(v("within_days", 7))}
    else:
        out = {"field": f}
    return out


def _number(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return text  # the compiler refuses it with a message naming the condition


def node_json(node: dict) -> dict:
    if node["kind"] == "raw":  # a condition the builder cannot edit: passed through unchanged
        return {"not": node["json"]} if node["negate"] else node["json"]
    if node["kind"] == "group":
        out = {node["op"]: [node_json(child) for child in node["children"]]}
    else:
        out = condition_json(node)
    return {"not": out} if node["negate"] else out


def rule_json() -> dict:
    return {"version": rules.RULE_VERSION, "rule": node_json(tree())}


# ---- loading a rule into the builder ------------------------------------------------------------

def load(rule: dict) -> None:
    """Replace the builder with a rule (a saved segment, a matrix cell, edited JSON)."""
    root = _from_json(rules.parse(rule)["rule"])
    if root["kind"] != "group":
        wrapper = new_group("all")
        wrapper["children"].append(root)
        root = wrapper
    st.session_state[STATE] = root


def _from_json(node: dict) -> dict:
    if "not" in node:
        inner = _from_json(node["not"])
        inner["negate"] = not inner["negate"]
        return inner
    for op in ("all", "any"):
        if op in node:
            group = new_group(op)
            group["children"] = [_from_json(child) for child in node[op]]
            return group
    field = node.get("field", "following")
    if field not in FIELDS or (field == "followed" and "within_days" not in node):
        # e-mail lists, date ranges …: kept exactly as written, shown as JSON, never rewritten
        return {"id": _new_id(), "kind": "raw", "json": node, "negate": False}
    cond = new_condition(field)
    values = {k: val for k, val in node.items() if k != "field"}
    if cond["field"] == "attribute" and isinstance(values.get("value"), list):
        values["value"] = ", ".join(values["value"])
    elif cond["field"] == "attribute" and isinstance(values.get("value"), (int, float)):
        values["value"] = str(values["value"])
    for name, val in values.items():
        st.session_state[_key(cond, name)] = val
    return cond


# ---- drawing --------------------------------------------------------------------------------

def draw(options: dict, lang: str) -> None:
    """Draw the builder. `options` holds the choices offered: routes, tags, attribute keys, areas,
    deliveries, genres (each a list) and route_label (a function)."""
    _draw_group(tree(), None, options, lang, depth=0)


def _draw_group(group: dict, parent: dict | None, options: dict, lang: str, depth: int) -> None:
    with st.container(border=True):
        head = st.columns([4, 2])
        group["op"] = head[0].radio(t("seg.group", lang), ["all", "any"], key=_key(group, "op"), persist_state=PERSIST,
                                    index=["all", "any"].index(group["op"]), horizontal=True,
                                    format_func=lambda o: t(f"seg.op.{o}", lang))
        group["negate"] = head[1].checkbox(t("seg.not", lang), value=group["negate"], key=_key(group, "negate"), persist_state=PERSIST)
        adder = st.columns([3, 1, 1], vertical_alignment="bottom")
        field = adder[0].selectbox(t("seg.add_condition", lang), FIELDS, key=_key(group, "new_field"), persist_state=PERSIST,
                                   format_func=lambda f: t(f"seg.field.{f}", lang))
        if adder[1].button(t("seg.add", lang), key=_button_key(group, "add"), use_container_width=True):
            group["children"].append(new_condition(field))
            st.rerun()
        if depth < rules.MAX_DEPTH - 1 and adder[2].button(t("seg.add_group", lang), key=_button_key(group, "add_group"),
                                                              use_container_width=True):
            group["children"].append(new_group("any"))
            st.rerun()
        if parent is not None and st.button(t("seg.remove_group", lang), key=_button_key(group, "remove")):
            parent["children"].remove(group)
            st.rerun()
        for child in list(group["children"]):
            if child["kind"] == "group":
                _draw_group(child, group, options, lang, depth + 1)
            elif child["kind"] == "raw":
                _draw_raw(child, group, lang)
            else:
                _draw_condition(child, group, options, lang)


def _draw_raw(node: dict, parent: dict, lang: str) -> None:
    cols = st.columns([8, 1, 1], vertical_alignment="center")
    cols[0].code(json.dumps(node["json"], ensure_ascii=False), language="json")
    node["negate"] = cols[1].checkbox(t("seg.not", lang), value=node["negate"], key=_key(node, "negate"),
                                      persist_state=PERSIST)
    if cols[2].button("✕", key=_button_key(node, "remove"), help=t("seg.remove", lang)):
        parent["children"].remove(node)
        st.rerun()


def _with_current(choices: list, current) -> list:
    """Offer a loaded value even when it is not among today's choices (never silently replace it)."""
    extra = [v for v in (current if isinstance(current, list) else [current]) if v and v not in choices]
    return [*extra, *choices]


def _draw_condition(node: dict, parent: dict, options: dict, lang: str) -> None:
    f = node["field"]
    k = lambda name: _key(node, name)  # noqa: E731
    cols = st.columns([2, 6, 1, 1], vertical_alignment="center")
    cols[0].markdown(f"**{t(f'seg.field.{f}', lang)}**")
    node["negate"] = cols[2].checkbox(t("seg.not", lang), value=node["negate"], key=k("negate"), persist_state=PERSIST)
    if cols[3].button("✕", key=_button_key(node, "remove"), help=t("seg.remove", lang)):
        parent["children"].remove(node)
        st.rerun()
    box = cols[1]
    with box:
        if f == "interest":
            st.multiselect(t("seg.levels", lang), list(rules.INTEREST_LEVELS), key=k("in"), persist_state=PERSIST,
                           format_func=lambda x: t(f"seg.level.{x}", lang), **ui_multi(lang))
        elif f == "genre":
            st.multiselect(t("seg.genres", lang), _with_current(options["genres"], st.session_state.get(k("in"))),
                           key=k("in"), persist_state=PERSIST, **ui_multi(lang))
        elif f == "route":
            st.multiselect(t("common.route", lang), options["routes"], key=k("in"), persist_state=PERSIST,
                           format_func=options["route_label"], **ui_multi(lang))
        elif f == "following":
            st.selectbox(t("seg.state", lang), [True, False], key=k("value"), persist_state=PERSIST,
                         format_func=lambda x: t("seg.following" if x else "seg.blocked", lang))
        elif f == "followed":
            st.number_input(t("seg.within_days", lang), 1, 3650, 30, key=k("within_days"), persist_state=PERSIST)
        elif f == "tags":
            a, b = st.columns([1, 3])
            a.selectbox(t("seg.match", lang), ["any", "all", "none"], key=k("match"), persist_state=PERSIST,
                        format_func=lambda x: t(f"seg.match.{x}", lang))
            b.multiselect(t("seg.tags", lang), options["tags"], key=k("tags"), persist_state=PERSIST, accept_new_options=True,
                          **ui_multi(lang))
        elif f == "attribute":
            a, b, c = st.columns(3)
            a.selectbox(t("seg.key", lang), options["attribute_keys"], key=k("key"), persist_state=PERSIST, accept_new_options=True)
            b.selectbox(t("seg.op", lang), list(rules._ATTRIBUTE_OPS), key=k("op"), persist_state=PERSIST,
                        format_func=lambda x: t(f"seg.op.{x}", lang))
            c.text_input(t("seg.value", lang), key=k("value"), persist_state=PERSIST, help=t("seg.value.help", lang))
        elif f == "customer":
            st.selectbox(t("seg.customer", lang), [True, False], key=k("linked"), persist_state=PERSIST,
                         format_func=lambda x: t("seg.linked" if x else "seg.unlinked", lang))
        elif f == "purchased":
            a, b = st.columns(2)
            a.number_input(t("seg.within_days", lang), 1, 3650, 90, key=k("within_days"), persist_state=PERSIST)
            b.selectbox(t("seg.category", lang), [""] + _with_current(options["categories"], st.session_state.get(k("category"))),
                        key=k("category"), persist_state=PERSIST,
                        format_func=lambda x: x or t("seg.any", lang))
        elif f == "never_purchased":
            st.caption(t("seg.never_purchased.help", lang))
        elif f in ("orders", "revenue"):
            a, b = st.columns(2)
            a.number_input(t("seg.min", lang), min_value=0.0, value=None, key=k("min"), persist_state=PERSIST)
            b.number_input(t("seg.max", lang), min_value=0.0, value=None, key=k("max"), persist_state=PERSIST)
        elif f == "reactions":
            a, b, c = st.columns(3)
            a.selectbox(t("seg.reaction_type", lang), ["any", *rules.REACTION_TYPES], key=k("type"), persist_state=PERSIST)
            b.number_input(t("seg.min", lang), 1, 100_000, 1, key=k("min"), persist_state=PERSIST)
            c.number_input(t("seg.within_days", lang), 1, 3650, 30, key=k("within_days"), persist_state=PERSIST)
        elif f == "richmenu_tap":
            a, b = st.columns(2)
            a.selectbox(t("eng.area", lang), options["areas"], key=k("area"), persist_state=PERSIST, accept_new_options=True)
            b.number_input(t("seg.within_days", lang), 1, 3650, 30, key=k("within_days"), persist_state=PERSIST)
        elif f == "clicked":
            st.selectbox(t("seg.delivery", lang), _with_current(options["deliveries"], st.session_state.get(k("delivery_id"))),
                         key=k("delivery_id"), persist_state=PERSIST,
                         format_func=options["delivery_label"])
        elif f == "received":
            a, b = st.columns(2)
            a.number_input(t("seg.min", lang), 1, 10_000, 3, key=k("min"), persist_state=PERSIST)
            b.number_input(t("seg.within_days", lang), 1, 3650, 7, key=k("within_days"), persist_state=PERSIST)


# ---- a condition added before its value is chosen (issue 19, point 12) --------------------------

def unfinished(node: dict | None = None) -> bool:
    """True when the builder holds a condition whose value is not chosen yet (an empty list or
    text), or an empty group: the page then shows a hint rather than the rule's validation error."""
    node = tree() if node is None else node
    if node["kind"] == "raw":
        return False
    if node["kind"] == "group":
        return not node["children"] or any(unfinished(child) for child in node["children"])
    out = condition_json(node)
    return any(value in ("", [], None) for key, value in out.items() if key != "field")
@st.cache_data(ttl=60, show_spinner=False, max_entries=256)
def reachable(db: str, rule_text: str, as_of) -> dict:
    """"Reachable now after the frequency cap" for a rule (JSON text): the compose page's own
    query (dashboard.audience.running.reachable), cached per database, rule and as_of."""
    from dashboard.audience import running
    from dashboard.web import ui

    cur = ui.cursor(db)
    try:
        return running.reachable(cur, json.loads(rule_text))
    finally:
        cur.close()


def draw_reachable(found: dict, lang: str) -> None:
    """The reachable count beside the segment's, with what the cap took away."""
    st.metric(t("seg.reachable", lang), f"{found['reachable']:,}", border=True)
    st.caption(t("seg.reachable.def", lang, cap=found["cap"], capped=f"{found['capped']:,}") if found["cap"]
               else t("seg.reachable.no_cap", lang))
