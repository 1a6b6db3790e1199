"""Compose drafts kept per dashboard user (issue 19, point 7).

Streamlit forgets a page's widget values when the operator leaves the page or reloads, so the
compose page writes what was typed — the messages, the audience choice, the title — to
`compose_drafts` as it changes, and puts it back when its owner returns. A draft is the page's
fields by widget key (`FIELDS` and the editor's `msg_<i>_<name>` keys), nothing else: no rule is
evaluated and nothing is sent from here. Every write checks the role ("draft") and the owner on the
server; one user never opens, overwrites or deletes another user's draft.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import uuid

import pandas as pd

from dashboard.access import roles
from dashboard.core import queries

queries.require("drafts/save", "drafts/list", "drafts/get", "drafts/delete")

# the compose page's own fields a draft keeps (the message editor's keys are matched by EDITOR_KEY)
# cmp_rule is the Segments page's builder rule as JSON text, kept when the audience is "the rule there"
FIELDS = ("cmp_kind", "cmp_segment", "cmp_exclude", "cmp_title", "cmp_promotion", "msg_count", "cmp_rule")
EDITOR_KEY = re.compile(r"^msg_[0-4]_(kind|text|url|preview|title|links|alt|flex)$")
MAX_STATE_CHARS = 200_000   # five bubbles of LINE's largest messages fit many times over


class DraftError(ValueError):
    """A draft cannot be kept: `code` for the page (i18n `drafts.err.<code>`)."""

    def __init__(self, code: str):
        self.code = code
        super().__init__(code)


def new_id() -> str:
    return "draft-" + uuid.uuid4().hex[:16]


def fields(values: dict) -> dict:
    """The part of a page's session state a draft keeps (plain JSON values only)."""
    out = {}
    for key, value in values.items():
        if (key in FIELDS or EDITOR_KEY.match(key)) and isinstance(value, (str, int, float, bool, type(None))):
            out[key] = value
    return dict(sorted(out.items()))


def is_empty(state: dict) -> bool:
    """Nothing typed yet: no message text, link, URL or title (an audience choice alone is no draft)."""
    return not any(isinstance(v, str) and v.strip() for k, v in state.items()
                   if k == "cmp_title" or (EDITOR_KEY.match(k) and not k.endswith("_kind")))


def save(cur, user, draft_id: str, state: dict, *, now: dt.datetime | None = None) -> None:
    """Write the draft (its owner is the user). Refused for a role that may not draft."""
    who = roles.require(user, "draft")
    kept = fields(state)
    text = json.dumps(kept, ensure_ascii=False)
    if len(text) > MAX_STATE_CHARS:
        raise DraftError("too_large")
    title = (kept.get("cmp_title") or "").strip()[:200] or None
    queries.run(cur, "drafts/save", draft_id=draft_id, owner=who.name, title=title, state=text,
                updated_at=now or dt.datetime.now(dt.timezone.utc))


def listing(cur, user) -> pd.DataFrame:
    """draft_id, title, state (JSON text), updated_at — the user's drafts, last changed first."""
    if user is None:
        return pd.DataFrame(columns=["draft_id", "title", "state", "updated_at"])
    return queries.run(cur, "drafts/list", owner=user.name)


def load(cur, user, draft_id: str) -> dict | None:
    """The draft's fields, or None when it does not exist or is someone else's."""
    if user is None:
        return None
    frame = queries.run(cur, "drafts/get", draft_id=draft_id, owner=user.name)
    return None if frame.empty else fields(json.loads(frame.iat[0, frame.columns.get_loc("state")]))


def latest(cur, user) -> tuple[str, dict] | None:
    """(draft_id, fields) of the user's last changed draft, or None."""
    frame = listing(cur, user)
    if frame.empty:
        return None
    row = frame.iloc[0]
    return row["draft_id"], fields(json.loads(row["state"]))


def delete(cur, user, draft_id: str) -> None:
    who = roles.require(user, "draft")
    queries.run(cur, "drafts/delete", draft_id=draft_id, owner=who.name)


def preview(state: dict, limit: int = 40) -> str:
    """The first words of the first bubble, for the list."""
    text = (state.get("msg_0_text") or state.get("msg_0_title") or state.get("msg_0_alt") or "").strip()
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"
