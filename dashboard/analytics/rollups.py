"""Derived tables the pages read instead of scanning every event (DESIGN §9).

`refresh` rebuilds them all from the base tables in one transaction; the demo calls it after a
build, and whatever writes events (the loader, imports) calls it after a batch. A page never
sees a half-built rollup: readers keep their snapshot until the commit.
"""
from __future__ import annotations

import datetime as dt
import threading
import time
from zoneinfo import ZoneInfo

from dashboard.core import config, queries

# Per-user reactions LINE lets us see. LINE gives no per-user opens, so opens are not among them.
REACTION_TYPES = ["message", "postback", "richmenu_tap", "survey_answer", "link_click"]

# (table, query): table names from this fixed list only.
ROLLUPS = (
    ("rollup_friend_firsts", "rollups/friend_firsts"),
    ("rollup_active_spells", "rollups/active_spells"),
    ("rollup_delivery_route", "rollups/delivery_route"),
    ("rollup_richmenu_daily", "rollups/richmenu_daily"),
    ("rollup_daily_route", "rollups/daily_route"),
    ("rollup_friend_activity", "rollups/friend_activity"),
)
queries.require(*(q for _, q in ROLLUPS), "rollups/scope_deliveries", "rollups/recipient_changes",
                 "rollups/recipients_add", "rollups/recipients_new", "rollups/recipients_prune")


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


def refresh(con, active_days: int | None = None, as_of: dt.datetime | None = None,
            tables: tuple[str, ...] | None = None) -> dict[str, float]:
    """Rebuild every rollup (or only `tables`, which must include rollup_friend_activity: as_of is
    its instant); returns seconds per table. `as_of` (default now) is the instant the per-friend
    activity windows ("last 30 days") end at."""

    active_days = active_days or config.get_int("DASHBOARD_ACTIVE_DAYS")
    as_of = as_of or dt.datetime.now(dt.timezone.utc)
    params = {"reaction_types": REACTION_TYPES, "active_days": active_days, "as_of": as_of,
              **interest_params()}
    with _lock:
        return _refresh(con, active_days, as_of, params, tables)


def _refresh(con, active_days: int, as_of: dt.datetime, params: dict, tables=None) -> dict[str, float]:
    timings = {}
    con.execute("begin")
    try:
        for table, name in ROLLUPS:
            if tables is not None and table not in tables:
                continue
            started = time.perf_counter()
            bound = {k: v for k, v in params.items() if k in queries.parameters(name)}
            # Derived tables are recreated, not emptied: a database made before a rollup gained a
            # column upgrades itself on the next refresh. Table names come from ROLLUPS only.
            con.execute(f"create or replace table {table} as " + queries.sql(name), bound)
            timings[table] = time.perf_counter() - started
        con.execute("insert or replace into rollup_state (name, refreshed_at, active_days, as_of) "
                    "values ('all', current_timestamp, $days, $as_of)", {"days": active_days, "as_of": as_of})
        if tables is None:
            con.execute("delete from rollup_state where name = 'dirty'")
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return timings


def outdated(con) -> list[str]:
    """Rollup tables missing, or shaped differently from what their query makes now (a database
    built by an older release): the pages would fail on them."""

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
    if outdated(con) or con.execute("select count(*) from rollup_state where name = 'dirty'").fetchone()[0]:
        previous = state(con)
        refresh(con, active_days=(previous or {}).get("active_days"), as_of=(previous or {}).get("as_of"))


def state(cur) -> dict | None:
    row = cur.execute("select refreshed_at, active_days, as_of from rollup_state where name = 'all'").fetchone()
    return None if row is None else {"refreshed_at": row[0], "active_days": row[1], "as_of": row[2]}



# How each rollup is brought up to date after a write, by the grain of its rows:
#   per friend  -> its rows are redone for the friends touched;
#   per day     -> its rows are redone from the first day touched;
#   per delivery-> its rows are redone for deliveries sent in the 7 days before the first event
#                  touched (a reaction counts for 24 h after a send, a purchase for 7 days).
PER_FRIEND = ("rollup_friend_firsts", "rollup_active_spells", "rollup_friend_activity")
PER_DAY = ("rollup_daily_route", "rollup_richmenu_daily")
PER_DELIVERY = ("rollup_delivery_route",)
ACTIVITY_MAX_AGE = dt.timedelta(hours=1)   # friend_activity is rebuilt whole when its as_of is older
_lock = threading.RLock()                   # one writer of the rollups per process


def mark_dirty(cur) -> None:
    """Called inside a writer's transaction: if the process dies before `apply`, the next start
    (ensure) rebuilds everything instead of serving rollups that miss the write."""
    cur.execute("insert or replace into rollup_state (name, refreshed_at) values ('dirty', current_timestamp)")


def _shadow(cur, table: str, where: str) -> None:
    """A temporary view named like a base table, filtered: the rollup's own query, unchanged,
    then reads only the rows in scope. Temporary objects belong to this cursor alone. (A view
    cannot take parameters: the bounds come from temp._rollup_scope.)"""
    catalog = cur.execute("select current_database()").fetchone()[0].replace('"', '""')
    cur.execute(f'create or replace temp view {table} as select * from "{catalog}".main.{table} where {where}')


def _unshadow(cur) -> None:
    for table in ("events", "friends", "friend_tags", "deliveries"):
        cur.execute(f"drop view if exists temp.{table}")


def apply(con, user_keys=None, since: dt.datetime | None = None, *, deliveries=None,
          rerouted=None, new_friends=None, recipients=None) -> dict[str, float]:
    """Bring the rollups up to date after a committed write that touched the friends in
    `user_keys` and events at or after `since` (None: no event times to redo). `deliveries`: the
    broadcasts whose estimated recipients the write changed; `rerouted` and `new_friends`: the
    friends whose route changed, and the new ones (see queries/rollups/scope_deliveries.sql).
    `recipients`: {(broadcast, route): change} of estimated recipients, added to the rows of the
    broadcasts not redone (recounting a broadcast scans every friend). A
    database whose rollups are missing, outdated or marked dirty by an interrupted writer is
    rebuilt whole."""

    with _lock:
        previous = state(con) or {}
        if not previous or _is_dirty_from_before(con) or outdated(con):
            return refresh(con, active_days=previous.get("active_days"))
        now = dt.datetime.now(dt.timezone.utc)
        if previous.get("as_of") is None or now - previous["as_of"] > ACTIVITY_MAX_AGE:
            # "last 7/30/90 days" moved on for every friend: rebuild that one table for all of them
            # (seconds at a million friends), then bring the others up to date incrementally
            refresh(con, active_days=previous.get("active_days"), as_of=now, tables=("rollup_friend_activity",))
        keys = sorted({int(k) for k in (user_keys or ())})
        params = {"reaction_types": REACTION_TYPES, "active_days": previous["active_days"],
                  "as_of": now, **interest_params()}
        timings = {}
        cur = con.cursor()
        cur.execute("begin")
        try:
            if keys:
                cur.execute("create or replace temp table _rollup_keys as select unnest($k::integer[]) as user_key",
                            {"k": keys})
                # the touched friends' events, read once (without the raw JSON no rollup reads)
                catalog = cur.execute("select current_database()").fetchone()[0].replace('"', '""')
                cur.execute(f'create or replace temp table _rollup_events as select user_key, type, occurred_at, detail '
                            f'from "{catalog}".main.events where user_key in (select user_key from temp._rollup_keys)')
                # only the columns the per-friend rollups read (PER_FRIEND_COLUMNS; a test compares
                # with a full rebuild); the others are null here
                cur.execute("create or replace temp view events as select null::varchar as event_id, user_key, "
                            "null::varchar as user_id, type, occurred_at, null::timestamptz as received_at, "
                            "null::varchar as delivery_id, detail, null::decimal(12, 2) as amount, null::json as payload "
                            "from temp._rollup_events")
                for base in ("friends", "friend_tags"):
                    _shadow(cur, base, "user_key in (select user_key from temp._rollup_keys)")
                for table, name in ROLLUPS:
                    if table in PER_FRIEND:
                        timings[table] = _redo(cur, table, name, params,
                                               "user_key in (select user_key from temp._rollup_keys)", {})
                _unshadow(cur)
            if since is not None or deliveries or recipients:
                sent_from = since - dt.timedelta(days=7) if since is not None else _NEVER
            if since is not None:
                day = since.astimezone(ZoneInfo(config.timezone())).date()
                cur.execute("create or replace temp table _rollup_scope as "
                            "select $day::date as day, $from::timestamptz as sent_from",
                            {"day": day, "from": since - dt.timedelta(days=7)})
                _shadow(cur, "events", "occurred_at >= (select day::timestamptz from temp._rollup_scope)")
                for table, name in ROLLUPS:
                    if table in PER_DAY:
                        timings[table] = _redo(cur, table, name, params, "day >= $day", {"day": day})
                _unshadow(cur)
            if since is not None or deliveries or recipients:
                cur.execute("create or replace temp table _rollup_deliveries as " + queries.sql("rollups/scope_deliveries"),
                            {"sent_from": sent_from, "deliveries": sorted(deliveries or ()),
                             "keys": sorted({int(k) for k in (rerouted or ())} | {int(k) for k in (new_friends or ())}),
                             "rerouted": sorted({int(k) for k in (rerouted or ())})})
                _shadow(cur, "deliveries", "delivery_id in (select delivery_id from temp._rollup_deliveries)")
                for table, name in ROLLUPS:
                    if table in PER_DELIVERY:
                        timings[table] = _redo(cur, table, name, params,
                                               "delivery_id in (select delivery_id from temp._rollup_deliveries)", {})
                _unshadow(cur)
                if recipients:
                    started = time.perf_counter()
                    changes = sorted(recipients.items(), key=lambda kv: (kv[0][0], kv[0][1] or ""))
                    cur.execute(queries.sql("rollups/recipient_changes"),
                                {"delivery_ids": [d for (d, _), _ in changes], "routes": [r for (_, r), _ in changes],
                                 "changes": [int(n) for _, n in changes]})
                    for name in ("rollups/recipients_add", "rollups/recipients_new", "rollups/recipients_prune"):
                        cur.execute(queries.sql(name))
                    timings["rollup_delivery_route recipients"] = time.perf_counter() - started
            cur.execute("delete from rollup_state where name = 'dirty'")
            # 'all' keeps the last full rebuild; this row tells readers (page caches) the rollups moved
            cur.execute("insert or replace into rollup_state (name, refreshed_at) values ('incremental', current_timestamp)")
            cur.execute("commit")
        except Exception:
            cur.execute("rollback")
            raise
        finally:
            _unshadow(cur)
            cur.close()
        return timings


def _redo(cur, table: str, name: str, params: dict, where: str, where_params: dict) -> float:
    started = time.perf_counter()
    bound = {k: v for k, v in params.items() if k in queries.parameters(name)}
    # `table` comes from ROLLUPS and `where` is a constant of apply(); values are bound
    cur.execute(f"delete from {table} where {where}", where_params)
    cur.execute(f"insert into {table} " + queries.sql(name), bound)
    return time.perf_counter() - started


def _is_dirty_from_before(cur) -> bool:
    """A dirty mark older than this process's last apply means a writer died between its commit
    and its rollup update."""
    row = cur.execute("select refreshed_at from rollup_state where name = 'dirty'").fetchone()
    return row is not None and row[0] < _STARTED


_STARTED = dt.datetime.now(dt.timezone.utc)
_NEVER = dt.datetime(9999, 1, 1, tzinfo=dt.timezone.utc)  # no delivery is sent after it
