"""Derived tables the pages read instead of scanning every event (DESIGN §9).

`refresh` rebuilds them all from the base tables in one transaction; the demo calls it after a
build, and whatever writes events (the loader, imports) calls it after a batch. A page never
sees a half-built rollup: readers keep their snapshot until the commit.
"""
from __future__ import annotations

import datetime as dt
import time

from dashboard import config, queries

# (table, query): table names from this fixed list only.
ROLLUPS = (
    ("rollup_friend_firsts", "rollups/friend_firsts"),
    ("rollup_active_spells", "rollups/active_spells"),
    ("rollup_delivery_route", "rollups/delivery_route"),
    ("rollup_richmenu_daily", "rollups/richmenu_daily"),
    ("rollup_daily_route", "rollups/daily_route"),
    ("rollup_friend_activity", "rollups/friend_activity"),
)
queries.require(*(q for _, q in ROLLUPS))


def genre_areas() -> dict[str, str]:
    """Setting DASHBOARD_GENRE_AREAS (`area=genre,…`) as a mapping."""
    pairs = {}
    for item in (config.get("DASHBOARD_GENRE_AREAS") or "").split(","):
        if "=" in item:
            area, genre = (part.strip() for part in item.split("=", 1))
            if area and genre:
                pairs[area] = genre
    return pairs


def interest_params() -> dict:
    return {"hot_min": config.get_int("DASHBOARD_INTEREST_HOT"),
            "warm_min": config.get_int("DASHBOARD_INTEREST_WARM"),
            "dormant_days": config.get_int("DASHBOARD_INTEREST_DORMANT_DAYS"),
            "genre_areas": genre_areas()}


def refresh(con, active_days: int | None = None, as_of: dt.datetime | None = None) -> dict[str, float]:
    """Rebuild every rollup; returns seconds per table. `as_of` (default now) is the instant the
    per-friend activity windows ("last 30 days") end at."""
    from dashboard.metrics import REACTION_TYPES

    active_days = active_days or config.get_int("DASHBOARD_ACTIVE_DAYS")
    as_of = as_of or dt.datetime.now(dt.timezone.utc)
    params = {"reaction_types": REACTION_TYPES, "active_days": active_days, "as_of": as_of,
              **interest_params()}
    timings = {}
    con.execute("begin")
    try:
        for table, name in ROLLUPS:
            started = time.perf_counter()
            bound = {k: v for k, v in params.items() if k in queries.parameters(name)}
            # Derived tables are recreated, not emptied: a database made before a rollup gained a
            # column upgrades itself on the next refresh. Table names come from ROLLUPS only.
            con.execute(f"create or replace table {table} as " + queries.sql(name), bound)
            timings[table] = time.perf_counter() - started
        con.execute("insert or replace into rollup_state (name, refreshed_at, active_days, as_of) "
                    "values ('all', current_timestamp, $days, $as_of)", {"days": active_days, "as_of": as_of})
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return timings


def outdated(con) -> list[str]:
    """Rollup tables missing, or shaped differently from what their query makes now (a database
    built by an older release): the pages would fail on them."""
    from dashboard.metrics import REACTION_TYPES

    params = {"reaction_types": REACTION_TYPES, "active_days": 30, "as_of": dt.datetime.now(dt.timezone.utc),
              **interest_params()}
    stale = []
    for table, name in ROLLUPS:
        have = [r[0] for r in con.execute("select column_name from information_schema.columns "
                                          "where table_name = $t order by ordinal_position", {"t": table}).fetchall()]
        bound = {k: v for k, v in params.items() if k in queries.parameters(name)}
        want = [r[0] for r in con.execute("describe " + queries.sql(name), bound).fetchall()]
        if have != want:
            stale.append(table)
    return stale


def ensure(con) -> None:
    """Rebuild the rollups when any is missing or outdated (keeping the window they were built with)."""
    # rollup_state gained as_of in schema 2; a file from between releases may lack it
    con.execute("alter table rollup_state add column if not exists as_of timestamptz")
    if outdated(con):
        previous = state(con)
        refresh(con, active_days=(previous or {}).get("active_days"), as_of=(previous or {}).get("as_of"))


def state(cur) -> dict | None:
    row = cur.execute("select refreshed_at, active_days, as_of from rollup_state where name = 'all'").fetchone()
    return None if row is None else {"refreshed_at": row[0], "active_days": row[1], "as_of": row[2]}
