"""One message to one friend from the friend page (issue 15, point 2): the sender role, checked here
on the server; LINE's message limits and the blocked terms checked before anything is planned; then
the same send engine as every send — one delivery, its ledger row written before the call — and a
row in the audit log (the friend's timeline shows it, and the ledger row its delivery status).

When the friend wrote less than a minute ago the message is a reply with their message's reply token
(kind "reply": free, not counted in the monthly quota; LINE accepts a token once, so a resend never
delivers twice); otherwise a push (kind "single": one message of the quota, with a retry key).
"""
from __future__ import annotations

import datetime as dt
import uuid

from dashboard.access import roles
from dashboard.audience import friend as friends
from dashboard.core import audit
from dashboard.line import api, message_limits
from dashboard.messaging import planning, sending


REPLY_WINDOW = dt.timedelta(minutes=1)   # LINE: a reply token works within one minute of the message


class SendRefused(Exception):
    """Nothing was planned: `problems` are (code, params) pairs, rendered as fr.send.err.<code>."""

    def __init__(self, problems: list[tuple[str, dict]]):
        super().__init__("; ".join(code for code, _ in problems))
        self.problems = problems


def problems(card: dict | None, messages: list[dict]) -> list[tuple[str, dict]]:
    """Every reason the message must not go, as (code, params)."""
    found: list[tuple[str, dict]] = []
    if card is None:
        return [("no_friend", {})]
    if not card.get("is_following"):
        found.append(("not_following", {}))
    for p in message_limits.check_messages(messages):
        found.append(("limit", {"detail": f"{p['property']}: {p['message']}"}))
    text = planning._text_of(messages)
    for term, level in planning.forbidden_terms():
        if level == "block" and term in text:
            found.append(("forbidden", {"term": term}))
    return found


def mode(cur, user_key: int, now: dt.datetime | None = None) -> str:
    """"reply" when the friend's latest message (with a reply token) is under a minute old, else "push"."""
    last = friends.last_message(cur, user_key)
    now = now or dt.datetime.now(dt.timezone.utc)
    if last is not None and last[1] and now - last[0] < REPLY_WINDOW:
        return "reply"
    return "push"


def send(con, cur, user: roles.User | None, user_key: int, messages: list[dict], clients: api.Clients,
         title: str | None = None) -> sending.Report:
    """Plan and send `messages` to one friend (a reply when they just wrote, else a push); returns
    the engine's report (sent or failed with LINE's reason). Refused sends are audited too."""
    roles.require(user, "send")
    card = friends.profile(cur, user_key)
    found = problems(card, messages)
    target = f"friend:{card['user_id']}" if card else None
    if found:
        audit.record(cur, user, "friend.send.refused", target, {"reasons": [code for code, _ in found]})
        raise SendRefused(found)
    how = mode(cur, user_key)
    delivery_id = "one_" + uuid.uuid4().hex[:12]
    sending.plan(con, delivery_id=delivery_id, user_ids=[card["user_id"]], messages=messages,
                 kind="reply" if how == "reply" else "single", title=title or "1:1", created_by=user.name)
    audit.record(cur, user, "friend.send", target, {"delivery": delivery_id, "bubbles": len(messages), "by": how,
                                                     "at": dt.datetime.now(dt.timezone.utc)})
    return sending.run(con, delivery_id, clients)
