"""What the Data page shows about data coming in: the spool and the loader (imports and LINE sync
report their own status: dashboard/intake/imports.py, dashboard/intake/sync.py)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from dashboard.intake import loader
from dashboard.core import queries

queries.require("data/loads_per_minute", "data/last_loads", "data/quarantine", "data/offsets", "data/refused")


@dataclass
class SpoolState:
    files: int
    bytes_behind: int          # appended to the spool, not yet loaded
    oldest_unloaded: dt.datetime | None   # modification time of the oldest file with unloaded bytes
    last_load: dt.datetime | None

    def lag_seconds(self, now: dt.datetime | None = None) -> float:
        """0 when caught up; otherwise how long unloaded data has waited at least (since the last write
        to the oldest file with unloaded lines)."""
        if not self.bytes_behind or self.oldest_unloaded is None:
            return 0.0
        now = now or dt.datetime.now(dt.timezone.utc)
        return max(0.0, (now - self.oldest_unloaded).total_seconds())


def spool_state(cur, directory: Path | None = None) -> SpoolState:
    directory = directory or loader.spool_dir()
    offsets = {r[0]: r[1] for r in queries.run(cur, "data/offsets").itertuples(index=False)}
    files = sorted(directory.glob("*.jsonl")) if directory.is_dir() else []
    behind, oldest = 0, None
    for path in files:
        stat = path.stat()
        unread = stat.st_size - offsets.get(path.name, 0)
        if unread > 0:
            behind += unread
            modified = dt.datetime.fromtimestamp(stat.st_mtime, dt.timezone.utc)
            oldest = modified if oldest is None else min(oldest, modified)
    runs = queries.run(cur, "data/last_loads", limit=1)
    last = None if runs.empty else runs["finished_at"].iloc[0].to_pydatetime()
    return SpoolState(len(files), behind, oldest, last)


def loads_per_minute(cur, minutes: int = 60):
    return queries.run(cur, "data/loads_per_minute", minutes=minutes)


def events_per_minute(per_minute, minutes: int = 5, now: dt.datetime | None = None) -> float:
    """Events received in the last `minutes` whole minutes, per minute (quiet minutes count as 0)."""
    if per_minute.empty:
        return 0.0
    now = now or dt.datetime.now(dt.timezone.utc)
    since = now - dt.timedelta(minutes=minutes)
    return float(per_minute.loc[per_minute["minute"] >= since, "events"].sum()) / minutes


def last_loads(cur, limit: int = 20):
    return queries.run(cur, "data/last_loads", limit=limit)


def quarantined(cur, limit: int = 200):
    return queries.run(cur, "data/quarantine", limit=limit)


def refused(cur) -> dict | None:
    """Lines and events the database refused in a loader round (quarantined, the rest loaded):
    {refused, first_at, last_at, latest_reason}, or None when there are none."""
    from dashboard.intake.loader import REFUSED

    row = queries.run(cur, "data/refused", prefix=REFUSED).iloc[0]
    return None if not row["refused"] else row.to_dict()
