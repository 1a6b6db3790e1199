"""The instant the check-up looks back from: now, or — for a file whose data ends earlier (a demo
built up to some day, an archive copy) — the newest moment its numbers know of, so that "the last
7 days" are days that have data."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd

from dashboard.analytics import metrics, rollups
from dashboard.core import config


def as_of(cur, now: dt.datetime | None = None) -> dt.datetime:
    """min(now, the later of the rollups' instant and the newest event)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    known = [t for t in ((rollups.state(cur) or {}).get("as_of"), metrics.data_range(cur)[1])
             if t is not None and not pd.isna(t)]
    if not known:
        return now
    newest = max(pd.Timestamp(t).to_pydatetime() for t in known)
    return min(now, newest)


def as_of_day(cur, now: dt.datetime | None = None, tz: str | None = None) -> tuple[str, dt.date]:
    """(time zone, the last day `as_of` reaches into: a midnight instant ends the day before)."""
    tz = tz or config.timezone()
    return tz, (as_of(cur, now) - dt.timedelta(microseconds=1)).astimezone(ZoneInfo(tz)).date()
