"""The demo account: a realistic, deterministic LINE account generated inside DuckDB.

All rows are made by the SQL in queries/demo/ (run in file order), not by Python loops, so a
million friends with 30 million events build in about a minute on two cores. The same seed,
size, days and end date always build the same account.
"""
from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from dashboard.core import audit, config, queries, storage
from dashboard.analytics import rollups

queries.require("meta/row_counts")

DEMO_DIR = config.ROOT / "queries" / "demo"
DEFAULT_FRIENDS = 50_000
DEFAULT_DAYS = 180
DEFAULT_SEED = 42


class DemoError(RuntimeError):
    pass


def default_end(tz: str) -> dt.datetime:
    """Midnight at the start of today in the account's time zone: the demo runs up to now."""
    today = dt.datetime.now(ZoneInfo(tz)).date()
    return dt.datetime.combine(today, dt.time(), ZoneInfo(tz))


def build(db: Path | str, *, friends: int = DEFAULT_FRIENDS, seed: int = DEFAULT_SEED,
          days: int = DEFAULT_DAYS, end: dt.date | None = None, tz: str | None = None,
          progress=print) -> dict[str, int]:
    """Build a demo account into a new (or empty) database file; returns row counts per table."""
    if friends < 1 or days < 14:
        raise DemoError("a demo needs at least 1 friend and 14 days")
    tz = tz or config.timezone()
    end_ts = (dt.datetime.combine(end, dt.time(), ZoneInfo(tz)) if end else default_end(tz))
    con = storage.connect(db, timezone=tz)
    try:
        if _row_counts(con)["friends"]:
            raise DemoError(f"{db} already holds friends; the demo only fills an empty database")
        for name, value in (("demo_seed", seed), ("demo_friends", friends), ("demo_days", days),
                            ("demo_end", end_ts)):
            con.execute(f"set variable {name} = $value", {"value": value})  # name from this list
        started = time.perf_counter()
        with storage.transaction(con):
            for path in sorted(DEMO_DIR.glob("*.sql")):
                step = time.perf_counter()
                con.execute(path.read_text(encoding="utf-8"))
                progress(f"  {path.stem}: {time.perf_counter() - step:.1f} s")
            audit.record(con, "demo", "demo.build", str(db),
                         {"friends": friends, "seed": seed, "days": days, "end": end_ts.isoformat()})
        step = time.perf_counter()
        # activity windows end at the demo's end (or now, for a demo that runs up to today)
        rollups.refresh(con, as_of=min(end_ts, dt.datetime.now(ZoneInfo(tz))))
        progress(f"  rollups: {time.perf_counter() - step:.1f} s")
        storage.checkpoint(con)
        counts = _row_counts(con)
        progress(f"built in {time.perf_counter() - started:.1f} s: "
                 + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
        return counts
    finally:
        con.close()  # a failed build's transaction was rolled back by storage.transaction()


def _row_counts(con) -> dict[str, int]:
    result = con.execute(queries.sql("meta/row_counts"))
    return dict(zip([d[0] for d in result.description], result.fetchone()))
