"""The compose page's drafts (issue 19, point 7): restored on return, saved as they change, listed.

`restore()` runs before the page draws its widgets: when they are not alive (first visit of the
session, back from another page, a reload) it puts the user's draft back into session state.
`autosave()` runs after them and writes the fields when they changed. `panel()` lists the user's
drafts with open and delete; opening happens in a button callback, before the widgets exist.
The rules (role, owner) are in dashboard/messaging/drafts.py.
"""
from __future__ import annotations

import json

import streamlit as st

from dashboard.access import roles
from dashboard.core.i18n import t
from dashboard.messaging import drafts
from dashboard.web import segment_ui

_ID, _SAVED = "cmp_draft_id", "cmp_draft_saved"
LIVE_KEY = "msg_count"   # the editor's first widget: present while the page's widgets are alive


def _clear() -> None:
    # widgets are reset by giving them their empty value (deleting a live widget's key would let
    # the browser's old value come back on the next run)
    for key in [k for k in st.session_state if k in drafts.FIELDS or drafts.EDITOR_KEY.match(str(k))]:
        empty = _EMPTY.get(key, _EMPTY.get(str(key).rsplit("_", 1)[-1], ""))
        if empty is not _KEEP:
            st.session_state[key] = empty


_KEEP = object()
_EMPTY = {"msg_count": 1, "kind": "text", "cmp_promotion": False, "cmp_exclude": "",
          "cmp_kind": _KEEP, "cmp_segment": _KEEP}


def _builder_rule(state: dict) -> dict:
    """The state with the builder's rule in it when the audience is the rule built there: the
    builder lives in session state only, so without this a reload or a new session lost it."""
    if state.get("cmp_kind") == "builder" and segment_ui.STATE in st.session_state:
        state = {**state, "cmp_rule": json.dumps(segment_ui.rule_json(), ensure_ascii=False, sort_keys=True)}
    return drafts.fields(state)


def _load_rule(text) -> None:
    try:
        segment_ui.load(json.loads(text))
    except (ValueError, TypeError, KeyError):   # a rule this release no longer reads: the builder's default
        pass


def _apply(draft_id: str, state: dict, segment_ids: list, *, rule_too: bool = True) -> None:
    _clear()
    for key, value in state.items():
        if key == "cmp_rule":
            if rule_too:
                _load_rule(value)
            continue
        if key in ("cmp_segment", "cmp_exclude") and value and value not in segment_ids:
            continue                   # a segment deleted since: the page falls back to its default
        if key == "cmp_kind" and value == "segment" and not segment_ids:
            continue
        st.session_state[key] = value
    st.session_state[_ID] = draft_id
    st.session_state[_SAVED] = drafts.fields(state)


def restore(cur, user, segment_ids: list) -> None:
    if LIVE_KEY in st.session_state or user is None:
        st.session_state.setdefault(_ID, drafts.new_id())
        return
    draft_id = st.session_state.get(_ID)
    found = (draft_id, drafts.load(cur, user, draft_id)) if draft_id else None
    if not found or found[1] is None:
        found = drafts.latest(cur, user)
    if found:   # back from another page, the builder may hold a newer rule than the draft: keep it
        _apply(found[0], found[1], segment_ids, rule_too=segment_ui.STATE not in st.session_state)
    else:
        st.session_state[_ID] = drafts.new_id()


def autosave(cur, user, lang: str) -> None:
    """Save the fields when they changed since the last save (not while nothing is typed)."""
    if user is None or not user.may("draft"):
        return
    state = _builder_rule(dict(st.session_state))
    if drafts.is_empty(state) or state == st.session_state.get(_SAVED):
        return
    try:
        drafts.save(cur, user, st.session_state[_ID], state)
        st.session_state[_SAVED] = state
    except drafts.DraftError as err:
        st.warning(t(f"drafts.err.{err.code}", lang))
    except roles.PermissionDenied as exc:
        st.warning(str(exc))


def sent(cur, user) -> None:
    """The draft became a delivery: remove it, and let further edits start a new draft."""
    try:
        drafts.delete(cur, user, st.session_state[_ID])
    except roles.PermissionDenied:
        pass
    st.session_state[_ID] = drafts.new_id()
    st.session_state[_SAVED] = _builder_rule(dict(st.session_state))


def _open(cur, user, draft_id: str, segment_ids: list) -> None:
    state = drafts.load(cur, user, draft_id)
    if state is not None:
        _apply(draft_id, state, segment_ids)


def _delete(cur, user, draft_id: str) -> None:
    drafts.delete(cur, user, draft_id)
    if st.session_state.get(_ID) == draft_id:
        _start_new()


def _start_new() -> None:
    _clear()
    st.session_state[_ID] = drafts.new_id()
    st.session_state[_SAVED] = {}


def panel(cur, user, segment_ids: list, tz: str, lang: str) -> None:
    """The user's drafts: title (or the first words), last change, open / delete; and a new one."""
    if user is None:
        return
    mine = drafts.listing(cur, user)
    current = st.session_state.get(_ID)
    with st.expander(t("drafts.title", lang, n=len(mine)), expanded=False):
        st.caption(t("drafts.help", lang))
        st.button(t("drafts.new", lang), key="drafts_new", on_click=_start_new)
        for row in mine.itertuples():
            name = row.title or drafts.preview(json.loads(row.state)) or t("drafts.untitled", lang)
            when = row.updated_at.tz_convert(tz).strftime("%Y-%m-%d %H:%M")
            words, opened, gone = st.columns([4, 1, 1])
            words.write(t("drafts.row", lang, name=name, at=when)
                        + (" " + t("drafts.current", lang) if row.draft_id == current else ""))
            opened.button(t("drafts.open", lang), key=f"drafts_open_{row.draft_id}",
                          on_click=_open, args=(cur, user, row.draft_id, segment_ids),
                          disabled=row.draft_id == current)
            gone.button(t("drafts.delete", lang), key=f"drafts_del_{row.draft_id}",
                        on_click=_delete, args=(cur, user, row.draft_id))
