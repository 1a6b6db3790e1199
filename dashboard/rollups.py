"""Derived tables the pages read instead of scanning every event (DESIGN §9).

`refresh` rebuilds them all from the base tables in one transaction; the demo calls it after a
build, and whatever writes events (the loader, imports) calls it after a batch. A page never
sees a half-built rollup: readers keep their snapshot until the commit.
"""
from __future__ import annotations

import time

from dashboard import config, queries

# (table, query): table names from this fixed list only.
ROLLUPS = (
    ("rollup_friend_firsts", "rollups/friend_firsts"),
    ("rollup_active_spells", "rollups/active_spells"),
    ("rollup_delivery_route", "rollups/delivery_route"),
    ("rollup_richmenu_daily", "rollups/richmenu_daily"),
)
queries.require(*(q for _, q in ROLLUPS))


def refresh(con, active_days: int | None = None) -> dict[str, float]:
    """Rebuild every rollup; returns seconds per table."""
    from dashboard.metrics import REACTION_TYPES

    active_days = active_days or config.get_int("DASHBOARD_ACTIVE_DAYS")
    params = {"reaction_types": REACTION_TYPES, "active_days": active_days}
    timings = {}
    con.execute("begin")
    try:
        for table, name in ROLLUPS:
            started = time.perf_counter()
            con.execute(f"delete from {table}")  # table from ROLLUPS, never from input
            bound = {k: v for k, v in params.items() if k in queries.parameters(name)}
            con.execute(f"insert into {table} " + queries.sql(name), bound)
            timings[table] = time.perf_counter() - started
        con.execute("insert or replace into rollup_state (name, refreshed_at, active_days) "
                    "values ('all', current_timestamp, $days)", {"days": active_days})
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return timings


def active_days_of_rollup(cur) -> int | None:
    row = cur.execute("select active_days from rollup_state where name = 'all'").fetchone()
    return row[0] if row else None
