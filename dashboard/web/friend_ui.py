"""The friend page's widgets: the search, the friend's card, the timeline in words, the tag editor
(operators) and the one-message box (senders). The story itself comes from
dashboard/audience/friend.py; the send goes through dashboard/messaging/one_friend.py."""
from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from dashboard.access import roles
from dashboard.audience import friend as friends
from dashboard.audience.running import mask_user_id
from dashboard.core.i18n import TEXT, route_label, t

PARAM = "k"        # ?k=<user_key>: links from other tables open a friend with it
USER_PARAM = "u"   # ?u=<LINE user ID>: links from tables that hold the user ID (the audit log, admins)


def link(user_key) -> str:
    """The friend page's address for one friend (a LinkColumn value)."""
    return f"friend?{PARAM}={int(user_key)}"


def link_to_user(audit_object) -> str | None:
    """The friend page's address for an audit row about one friend (object "friend:<user ID>")."""
    if isinstance(audit_object, str) and audit_object.startswith("friend:"):
        return f"friend?{USER_PARAM}={audit_object.removeprefix('friend:')}"
    return None


def link_column(lang: str):
    return st.column_config.LinkColumn(t("fr.col.friend", lang), display_text=t("fr.col.open", lang))


def find(cur, lang: str, see_ids: bool) -> int | None:
    """The search box and its matches; the friend picked (or named by ?k=), by user_key."""
    given = st.query_params.get(PARAM)
    if not given and st.query_params.get(USER_PARAM):   # the audit log's links carry the user ID
        key = friends.key_of(cur, st.query_params.get(USER_PARAM))
        given = None if key is None else str(key)
    text = st.text_input(t("fr.find", lang), key="fr_search", help=t("fr.find.help", lang))
    if text.strip():
        found = friends.search(cur, text)
        if found.empty:
            st.info(t("fr.none_found", lang))
            return None
        shown = {int(k): f"{n or t('fr.nameless', lang)} ({u if see_ids else mask_user_id(u)})"
                 for k, n, u in zip(found["user_key"], found["display_name"], found["user_id"])}
        key = st.selectbox(t("fr.pick", lang), list(shown), key="fr_pick", format_func=shown.get)
        if found.attrs.get("more"):   # the search keeps the first matches only (newest friends first)
            st.caption(t("fr.more", lang, n=len(shown)))
        st.query_params[PARAM] = str(key)
        return key
    if given and str(given).isdigit():
        return int(given)
    st.info(t("fr.start", lang))
    return None


def card(profile: dict, names: dict, tz: str, lang: str, see_ids: bool) -> None:
    st.subheader(f"{profile['display_name'] or t('fr.nameless', lang)} · {profile['user_id']}")
    state, route, added = st.columns(3)
    crm, interest, reactions = st.columns(3)
    state.metric(t("fr.card.state", lang), t("fr.card.following" if profile["is_following"] else "fr.card.blocked", lang))
    route.metric(t("fr.card.route", lang), route_label(profile["route"], names, lang))
    added.metric(t("fr.card.added", lang), pd.Timestamp(profile["followed_at"]).tz_convert(tz).strftime("%Y-%m-%d"))
    if profile["customer_id"]:
        crm.metric(t("fr.card.crm", lang), profile["customer_id"])
        crm.caption(t("fr.card.crm.orders", lang, orders=int(profile["orders"] or 0),
                      revenue=f"{float(profile['revenue'] or 0):,.0f}"))
    else:
        crm.metric(t("fr.card.crm", lang), t("fr.card.crm.none", lang))
    level = t(f"seg.level.{profile['interest_level']}", lang) if profile["interest_level"] else "—"
    interest.metric(t("fr.card.interest", lang), level)
    interest.caption(profile["genre"] or t("fr.genre.none", lang))
    reactions.metric(t("fr.card.reactions", lang), f"{int(profile['reactions_30d'] or 0):,}")
    st.caption(t("fr.card.def", lang, masked=t("fr.card.unmasked" if see_ids else "fr.card.masked", lang)))


def _what(source: str, kind: str, lang: str) -> str:
    if source == "event":
        return t(f"fr.ev.{kind}", lang) if f"fr.ev.{kind}" in TEXT else t("fr.ev.other", lang)
    if source in ("sent", "broadcast"):
        label = t(f"code.kind.{kind}", lang) if f"code.kind.{kind}" in TEXT else t("fr.ev.other", lang)
        return t("fr.ev.sent", lang, kind=label)
    if source == "tag":
        origin = kind if f"fr.origin.{kind}" in TEXT else "other"
        return t("fr.ev.tag", lang, origin=t(f"fr.origin.{origin}", lang))
    if source == "attribute":
        return t("fr.ev.attribute", lang)
    if source == "scenario":
        return t(f"fr.ev.scenario.{kind}", lang) if f"fr.ev.scenario.{kind}" in TEXT else t("fr.ev.scenario.active", lang)
    return t(f"fr.ev.staff.{kind}", lang) if f"fr.ev.staff.{kind}" in TEXT else t("fr.ev.staff.other", lang)


def _detail(row, names: dict, lang: str) -> str:
    if row.source in ("sent", "broadcast"):   # the delivery's title, then what it said
        return " — ".join(dict.fromkeys(x for x in (row.detail, row.content) if isinstance(x, str) and x))
    if row.source == "event" and row.kind in ("follow", "refollow"):   # the route it came by
        return route_label(row.detail, names, lang) if isinstance(row.detail, str) and row.detail else ""
    if row.source == "attribute":
        return f"{row.kind} = {row.detail}"
    if row.source == "scenario":   # the scenario's name, and why it ended early
        reason = f" — {_exit(row.status, lang)}" if row.kind == "exited" else ""
        return f"{row.detail}{reason}"
    if row.source == "staff" and isinstance(row.detail, str):
        try:
            detail = json.loads(row.detail)
        except json.JSONDecodeError:
            return row.detail
        return str(detail.get("tag") or detail.get("delivery") or "")
    return row.detail if isinstance(row.detail, str) else ""


def _exit(reason, lang: str) -> str:
    reason = reason if isinstance(reason, str) and f"fr.exit.{reason}" in TEXT else "other"
    return t(f"fr.exit.{reason}", lang)


def _when(value, tz: str) -> str:
    return "" if value is None or pd.isna(value) else pd.Timestamp(value).tz_convert(tz).strftime("%Y-%m-%d %H:%M")


def scenarios_frame(found: pd.DataFrame, tz: str, lang: str) -> pd.DataFrame:
    """The friend's step scenarios: state, the next step and when it is due (account time zone)."""
    rows = []
    for e in found.itertuples():
        if e.status == "exited":
            state = t("fr.scn.state.exited", lang, reason=_exit(e.exit_reason, lang))
        else:
            state = t(f"fr.scn.state.{e.status}", lang) if f"fr.scn.state.{e.status}" in TEXT else str(e.status)
        if e.status == "active" and e.scenario_status == "paused":
            state += t("fr.scn.paused", lang)
        name = f" {e.step_name}" if isinstance(e.step_name, str) and e.step_name else ""
        rows.append({t("fr.scn.col.scenario", lang): e.scenario, t("fr.scn.col.state", lang): state,
                     t("fr.scn.col.next", lang): t("fr.scn.step", lang, n=int(e.step_no), name=name, steps=int(e.steps))
                     if e.status == "active" else "",
                     t("fr.scn.col.due", lang): _when(e.next_due_at, tz) if e.status == "active" else "",
                     t("fr.scn.col.enrolled", lang): _when(e.enrolled_at, tz),
                     t("fr.scn.col.ended", lang): _when(e.exited_at if e.status == "exited" else e.last_sent_at, tz)
                     if e.status != "active" else ""})
    return pd.DataFrame(rows, columns=[t(f"fr.scn.col.{c}", lang) for c in ("scenario", "state", "next", "due",
                                                                              "enrolled", "ended")])


def timeline_frame(events: pd.DataFrame, tz: str, lang: str, names: dict | None = None) -> pd.DataFrame:
    """The timeline in the page's words: when (account time zone), what, detail, delivery status, amount."""
    status = [t(f"fr.st.{s}", lang) if src == "sent" and f"fr.st.{s}" in TEXT
              else (t("fr.st.sent", lang) if src == "broadcast" else "")
              for src, s in zip(events["source"], events["status"])]
    return pd.DataFrame({
        t("fr.col.at", lang): [pd.Timestamp(a).tz_convert(tz).strftime("%Y-%m-%d %H:%M:%S") for a in events["happened_at"]],
        t("fr.col.what", lang): [_what(s, k, lang) for s, k in zip(events["source"], events["kind"])],
        t("fr.col.detail", lang): [_detail(r, names or {}, lang) for r in events.itertuples()],
        t("fr.col.status", lang): status,
        t("fr.col.amount", lang): ["" if pd.isna(a) else f"{float(a):,.0f}" for a in events["amount"]],
    })


def tag_editor(con, cur, user, user_id: str, current: pd.DataFrame, lang: str) -> None:
    st.subheader(t("fr.tags", lang))
    st.write("　".join(f"`{tag}`" for tag in current["tag"]) if not current.empty else t("fr.tags.none", lang))
    if not (user and user.may("tag_friends")):
        st.caption(t("fr.tags.role", lang))
        return
    add, remove = st.columns(2)
    new = add.text_input(t("fr.tags.add", lang), key="fr_tag_new")
    gone = remove.selectbox(t("fr.tags.remove", lang), list(current["tag"]), key="fr_tag_gone", index=None,
                            placeholder=t("fr.tags.remove", lang))
    try:
        if add.button(t("fr.tags.add.button", lang), key="fr_tag_add"):
            friends.add_tag(con, user, user_id, new)
            st.success(t("fr.tags.done", lang))
            st.rerun()
        if remove.button(t("fr.tags.remove.button", lang), key="fr_tag_remove", disabled=gone is None):
            friends.remove_tag(con, user, user_id, gone)
            st.success(t("fr.tags.done", lang))
            st.rerun()
    except friends.FriendError as exc:
        st.error(t(f"fr.err.{exc.code}", lang, **exc.params))
    except roles.PermissionDenied as exc:
        st.error(str(exc))
    st.caption(t("fr.tags.role", lang))


def send_box(con, cur, user, user_key: int, clients, lang: str) -> None:
    from dashboard.messaging import one_friend

    st.subheader(t("fr.send", lang))
    if not (user and user.may("send")):
        st.caption(t("fr.send.role", lang))
        return
    text = st.text_area(t("fr.send.text", lang), key="fr_send_text", height=100)
    st.caption(t("fr.send.reply_note" if one_friend.mode(cur, user_key) == "reply" else "fr.send.note", lang))
    sure = st.checkbox(t("fr.send.sure", lang), key="fr_send_sure")
    if st.button(t("fr.send.button", lang), key="fr_send", type="primary", disabled=not sure):
        if not text.strip():
            st.warning(t("fr.send.empty", lang))
            return
        try:
            report = one_friend.send(con, cur, user, user_key, [{"type": "text", "text": text}], clients)
            st.success(t("fr.send.done", lang, status=t(f"cmp.status.{report.status}", lang)))
        except one_friend.SendRefused as exc:
            for code, params in exc.problems:
                st.error(t(f"fr.send.err.{code}", lang, **params))
        except roles.PermissionDenied as exc:
            st.error(str(exc))
