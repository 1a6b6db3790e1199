"""The audit log: who did what, when, to which object (issue 6).

Append-only: this module only inserts; nothing in the product updates or deletes audit_log rows.
The detail is JSON; keys that could hold a secret are replaced before anything is written, so a
careless caller cannot put a password or token into the log.
"""
from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pandas as pd

from dashboard.core import config, queries

queries.require("audit/record", "audit/search", "audit/actions", "audit/actors")

_SECRET_WORDS = ("password", "secret", "token", "cookie", "credential", "authorization", "api_key")
REDACTED = "[redacted]"
MAX_ROWS = 100_000


def _scrub(value):
    """The value with every secret-looking key's value replaced, at any depth."""
    if isinstance(value, dict):
        return {k: REDACTED if any(w in str(k).lower() for w in _SECRET_WORDS) else _scrub(v)
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scrub(v) for v in value]
    return value


def record(cur, actor, action: str, object: str | None, detail: dict | None = None,  # noqa: A002 (the column)
           *, at: dt.datetime | None = None) -> None:
    """Append one row. `actor` is a name or a roles.User; runs inside the caller's transaction."""
    name = getattr(actor, "name", actor) or "-"
    text = None if detail is None else json.dumps(_scrub(detail), ensure_ascii=False, default=str)
    queries.run(cur, "audit/record", at=at, actor=str(name), action=action, object=object, detail=text)


def _bound(value, tz: str, next_day: bool) -> dt.datetime | None:
    """A date means the start of that day in the account's time zone (or of the next day, for an
    inclusive `until`); a naive datetime is read in the account's time zone."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=ZoneInfo(tz))
    if isinstance(value, dt.date):
        day = value + dt.timedelta(days=1) if next_day else value
        return dt.datetime.combine(day, dt.time(), ZoneInfo(tz))
    raise TypeError(f"expected a date or datetime, got {type(value).__name__}")


def search(cur, since=None, until=None, actor: str | None = None, action: str | None = None,
           limit: int = 1000) -> pd.DataFrame:
    """Audit rows newest first. `since`/`until` are datetimes or dates (a date `until` includes that
    whole day); None leaves a filter off. Columns: at, actor, action, object, detail (JSON text)."""
    tz = config.timezone()
    return queries.run(cur, "audit/search", since=_bound(since, tz, False), until=_bound(until, tz, True),
                       actor=actor or None, action=action or None, limit=max(1, min(int(limit), MAX_ROWS)))


def actions(cur) -> list[str]:
    return queries.run(cur, "audit/actions")["action"].tolist()


def actors(cur) -> list[str]:
    return queries.run(cur, "audit/actors")["actor"].tolist()
