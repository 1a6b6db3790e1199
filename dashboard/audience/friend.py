"""One friend's whole story (issue 15, points 1–2): find a friend, their card, one timeline of
everything that happened in time order, and the tags staff add or remove by hand (operator role,
audited). The friend page and `python -m dashboard friend show` call these same functions.

A friend is named by `user_key` (the integer beside LINE's user ID): links from other pages carry
it, so that a viewer, who sees masked user IDs, can still open the friend.
"""
from __future__ import annotations

import datetime as dt
import json

import pandas as pd

from dashboard.access import roles
from dashboard.audience.running import mask_user_id
from dashboard.core import audit, queries, storage
from dashboard.intake.csv_values import email_hash

_QUERIES = ("search", "email_customers", "search_email", "enrolments", "profile", "by_user_id", "event_span", "timeline", "tags", "tag_add",
            "tag_remove", "last_message", "replied_since")
queries.require(*(f"friend/{name}" for name in _QUERIES))

SEARCH_LIMIT = 20
MAX_TAG = 100


class FriendError(ValueError):
    """A tag edit refused: `code` (i18n fr.err.<code>) with parameters."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code, self.params = code, params


def search(cur, text: str, limit: int = SEARCH_LIMIT) -> pd.DataFrame:
    """Friends whose display name or customer ID contains `text`, whose user ID contains it (4
    characters or more), or — when `text` is an e-mail address — who are the CRM customer with that
    address (matched by its hash: the address itself is never stored)."""
    text = (text or "").strip()
    if "@" in text:
        try:
            hashed = email_hash(text)
        except Exception:  # noqa: BLE001 — not an address after all: searched as text
            hashed = None
        if hashed:
            customers = queries.records(cur, "friend/email_customers", email_hash=hashed)
            return _at_most(queries.run(cur, "friend/search_email", limit=limit + 1,
                                        user_ids=[c["line_user_id"] for c in customers if c["line_user_id"]],
                                        customer_ids=[c["customer_id"] for c in customers]), limit)
    return _at_most(queries.run(cur, "friend/search", q=text, limit=limit + 1), limit)


def _at_most(found: pd.DataFrame, limit: int) -> pd.DataFrame:
    """The first `limit` matches; attrs["more"] says whether there were more (one more was asked)."""
    shown = found.head(limit).reset_index(drop=True)
    shown.attrs["more"] = len(found) > limit
    return shown


def key_of(cur, user_id: str) -> int | None:
    value = queries.scalar(cur, "friend/by_user_id", user_id=user_id)
    return None if value is None else int(value)


def profile(cur, user_key: int) -> dict | None:
    found = queries.records(cur, "friend/profile", user_key=int(user_key))   # a dict: no frame for one row
    return found[0] if found else None


def message_text(messages_json: str | None) -> str:
    """What a delivery said, in one line: each bubble's text (or its alt text / kind)."""
    if not messages_json:
        return ""
    try:
        messages = json.loads(messages_json)
    except (TypeError, json.JSONDecodeError):
        return ""
    parts = []
    for message in messages if isinstance(messages, list) else []:
        if not isinstance(message, dict):
            continue
        text = message.get("text") or message.get("altText") or (message.get("template") or {}).get("text")
        parts.append(text if text else f"[{message.get('type', '?')}]")
    return " / ".join(parts)


def _instant(value) -> dt.datetime | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).to_pydatetime()


def timeline(cur, user_key: int) -> pd.DataFrame:
    """Every row of the friend's story, oldest first: happened_at (UTC), source (event, sent, broadcast, tag,
    attribute, staff), kind, detail, delivery_id, status, amount, content (a message sent to them).
    A follow after the first is marked kind "refollow" (an unblock)."""
    # events are stored in time order: reading only the friend's span (a rollup's, refreshed with
    # every write) spares a scan of every event (README "Performance", issue 15)
    span = queries.records(cur, "friend/event_span", user_key=int(user_key))
    first, last = (None, None) if not span else (_instant(span[0]["first_event_at"]), _instant(span[0]["last_event_at"]))
    if first is None or last is None:
        first = last = None
    frame = queries.run(cur, "friend/timeline", user_key=int(user_key), first_event_at=first, last_event_at=last)
    follows = frame.index[(frame["source"] == "event") & (frame["kind"] == "follow")]
    if len(follows) > 1:
        frame.loc[follows[1:], "kind"] = "refollow"
    frame["content"] = [message_text(m) if s in ("sent", "broadcast") else None
                        for s, m in zip(frame["source"], frame["messages"])]
    return frame.drop(columns=["messages", "ref"])


def enrolments(cur, user_key: int) -> pd.DataFrame:
    """The friend's step scenarios: scenario, scenario_status, status (active, completed, exited),
    step_no (next to send; the last once completed), step_name, steps, next_due_at (UTC), enrolled_at,
    last_sent_at, exited_at, exit_reason."""
    return queries.small(cur, "friend/enrolments", user_key=int(user_key))


def tags(cur, user_id: str) -> pd.DataFrame:
    return queries.run(cur, "friend/tags", user_id=user_id)


def story(cur, user_key: int, *, mask: bool = False) -> dict | None:
    """The card, the tags, the step scenarios and the timeline; `mask` hides most of the LINE user ID
    (viewers)."""
    card = profile(cur, user_key)
    if card is None:
        return None
    events = timeline(cur, user_key)
    mine = events[events["source"] == "tag"]   # the timeline holds every tag as it stands
    current = pd.DataFrame({"tag": mine["detail"].tolist(), "tagged_at": mine["happened_at"].tolist(),
                            "origin": mine["kind"].tolist()}).sort_values("tag", ignore_index=True)
    if mask:
        card["user_id"] = mask_user_id(card["user_id"])
    return {"profile": card, "tags": current, "scenarios": enrolments(cur, user_key), "timeline": events}


def as_json(found: dict) -> str:
    """The story as JSON (the command line's --format json): times in ISO 8601 UTC."""
    def plain(value):
        if isinstance(value, (pd.Timestamp, dt.datetime, dt.date)):
            return pd.Timestamp(value).isoformat()
        if hasattr(value, "item"):
            return value.item()
        return value

    def rows(frame: pd.DataFrame) -> list[dict]:
        return [{k: plain(None if (not isinstance(v, (str, list, dict)) and pd.isna(v)) else v)
                 for k, v in row.items()} for row in frame.to_dict(orient="records")]

    return json.dumps({"profile": {k: plain(v) for k, v in found["profile"].items()},
                       "tags": rows(found["tags"]), "scenarios": rows(found.get("scenarios", pd.DataFrame())),
                       "timeline": rows(found["timeline"])},
                      ensure_ascii=False, indent=1, default=str)


def _tag_of(tag: str) -> str:
    tag = (tag or "").strip()
    if not tag:
        raise FriendError("tag_empty")
    if len(tag) > MAX_TAG:
        raise FriendError("tag_long", max=MAX_TAG)
    return tag


def add_tag(con, user: roles.User | None, user_id: str, tag: str) -> bool:
    """Tag one friend by hand (origin manual); True when the tag is new. Operator role, audited."""
    roles.require(user, "tag_friends")
    tag = _tag_of(tag)
    cur = con.cursor()
    try:
        with storage.transaction(cur):
            before = len(tags(cur, user_id))
            queries.run(cur, "friend/tag_add", user_id=user_id, tag=tag,
                        at=dt.datetime.now(dt.timezone.utc))
            added = len(tags(cur, user_id)) > before
            if added:
                audit.record(cur, user, "friend.tag_add", f"friend:{user_id}", {"tag": tag})
        return added
    finally:
        cur.close()


def remove_tag(con, user: roles.User | None, user_id: str, tag: str) -> bool:
    """Remove one tag by hand; True when the friend had it. Operator role, audited."""
    roles.require(user, "tag_friends")
    cur = con.cursor()
    try:
        with storage.transaction(cur):
            had = tag in set(tags(cur, user_id)["tag"])
            if had:
                queries.run(cur, "friend/tag_remove", user_id=user_id, tag=tag)
                audit.record(cur, user, "friend.tag_remove", f"friend:{user_id}", {"tag": tag})
        return had
    finally:
        cur.close()


def last_message(cur, user_key: int) -> tuple[dt.datetime, str | None] | None:
    """The friend's latest message event: (when, its reply token — None when it has none or a reply
    has already used it)."""
    frame = queries.run(cur, "friend/last_message", user_key=int(user_key))
    if frame.empty:
        return None
    when, token = pd.Timestamp(frame.iat[0, 0]).to_pydatetime(), frame.iat[0, 1]
    if not (isinstance(token, str) and token):
        return when, None
    card = profile(cur, user_key)
    used = queries.scalar(cur, "friend/replied_since", user_id=card["user_id"], since=when) if card else 0
    return when, (None if used else token)
