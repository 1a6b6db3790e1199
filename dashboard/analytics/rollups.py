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

from dashboard.core import config, queries, storage

# Per-user reactions LINE lets us see. LINE gives no per-user opens, so opens are not among them.
REACTION_TYPES = ["message", "postback", "richmenu_tap", "survey_answer", "link_click"]

# (table, query): table names from this fixed list only.
ROLLUPS = (
    ("rollup_friend_firsts", "rollups/friend_firsts"),
    ("rollup_active_spells", "rollups/active_spells"),
    ("rollup_delivery_route", "rollups/delivery_route"),
    ("rollup_delivery_reactors", "rollups/delivery_reactors"),
    ("rollup_richmenu_daily", "rollups/richmenu_daily"),
    ("rollup_daily_route", "rollups/daily_route"),
    ("rollup_friend_activity", "rollups/friend_activity"),
    # after the two it copies from (issue 15: the cross-tab's dimensions in one row per friend)
    ("rollup_friend_dims", "rollups/friend_dims"),
)
# A table's name is no value DuckDB binds: the statements that name a rollup table are files of
# their own, by the query's name: <query>_drop goes before a full rebuild, <query>_redo deletes the
# rows an incremental update makes again. The rows themselves come from <query> alone, written into
# the table by DuckDB's relation API (create, insert_into) with the table's name from ROLLUPS.
DROP = {table: f"{name}_drop" for table, name in ROLLUPS}
REDO = {table: f"{name}_redo" for table, name in ROLLUPS}
# the temporary views that shadow a base table during an incremental update (rollups/shadow_*)
UNSHADOW = ("rollups/unshadow_events", "rollups/unshadow_friends", "rollups/unshadow_friend_tags",
            "rollups/unshadow_deliveries")
queries.require(*(q for _, q in ROLLUPS), *DROP.values(), *REDO.values(), *UNSHADOW,
                "rollups/state", "rollups/state_rebuilt", "rollups/state_updated", "rollups/state_mark_dirty",
                "rollups/state_dirty", "rollups/state_clean", "rollups/state_add_as_of", "rollups/table_columns",
                "rollups/scope_keys", "rollups/scope_events", "rollups/shadow_events_of_keys",
                "rollups/shadow_friends", "rollups/shadow_friend_tags", "rollups/scope_day",
                "rollups/shadow_events_since", "rollups/scope_deliveries", "rollups/shadow_deliveries",
                "rollups/recipient_changes", "rollups/recipients_add", "rollups/recipients_new",
                "rollups/recipients_prune")


def _rows(cur, name: str, params: dict):
    """The rows of rollup query `name`, as a relation (nothing runs until it is written somewhere),
    with the parameters it uses."""
    return cur.sql(queries.sql(name), params={k: v for k, v in params.items() if k in queries.parameters(name)})


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
    its instant; rollup_friend_dims, which copies it, is rebuilt with it); returns seconds per table. `as_of` (default now) is the instant the per-friend
    activity windows ("last 30 days") end at."""

    active_days = active_days or config.get_int("DASHBOARD_ACTIVE_DAYS")
    as_of = as_of or dt.datetime.now(dt.timezone.utc)
    params = {"reaction_types": REACTION_TYPES, "active_days": active_days, "as_of": as_of,
              **interest_params()}
    if tables is not None and "rollup_friend_activity" in tables and "rollup_friend_dims" not in tables:
        tables = (*tables, "rollup_friend_dims")
    with _lock:
        return _refresh(con, active_days, as_of, params, tables)


def _refresh(con, active_days: int, as_of: dt.datetime, params: dict, tables=None) -> dict[str, float]:
    timings = {}
    with storage.transaction(con):
        for table, name in ROLLUPS:
            if tables is not None and table not in tables:
                continue
            started = time.perf_counter()
            # Derived tables are recreated, not emptied: a database made before a rollup gained a
            # column upgrades itself on the next refresh. Table names come from ROLLUPS only.
            con.execute(queries.sql(DROP[table]))
            _rows(con, name, params).create(table)
            timings[table] = time.perf_counter() - started
        con.execute(queries.sql("rollups/state_rebuilt"), {"days": active_days, "as_of": as_of})
        if tables is None:
            con.execute(queries.sql("rollups/state_clean"))
    return timings


def outdated(con) -> list[str]:
    """Rollup tables missing, or shaped differently from what their query makes now (a database
    built by an older release): the pages would fail on them."""

    params = {"reaction_types": REACTION_TYPES, "active_days": 30, "as_of": dt.datetime.now(dt.timezone.utc),
              **interest_params()}
    stale = []
    for table, name in ROLLUPS:
        have = [r[0] for r in con.execute(queries.sql("rollups/table_columns"), {"t": table}).fetchall()]
        want = _rows(con, name, params).columns  # bound, not run
        if have != want:
            stale.append(table)
    return stale


def ensure(con) -> None:
    """Rebuild the rollups when any is missing or outdated (keeping the window they were built with)."""
    con.execute(queries.sql("rollups/state_add_as_of"))  # a file from between releases may lack it
    if outdated(con) or con.execute(queries.sql("rollups/state_dirty")).fetchone() is not None:
        previous = state(con)
        refresh(con, active_days=(previous or {}).get("active_days"), as_of=(previous or {}).get("as_of"))


def state(cur) -> dict | None:
    row = cur.execute(queries.sql("rollups/state")).fetchone()
    return None if row is None else {"refreshed_at": row[0], "active_days": row[1], "as_of": row[2]}



# How each rollup is brought up to date after a write, by the grain of its rows:
#   per friend  -> its rows are redone for the friends touched;
#   per day     -> its rows are redone from the first day touched;
#   per delivery-> its rows are redone for deliveries sent in the 7 days before the first event
#                  touched (a reaction counts for 24 h after a send, a purchase for 7 days).
PER_FRIEND = ("rollup_friend_firsts", "rollup_active_spells", "rollup_friend_activity", "rollup_friend_dims")
PER_DAY = ("rollup_daily_route", "rollup_richmenu_daily")
PER_DELIVERY = ("rollup_delivery_route", "rollup_delivery_reactors")
ACTIVITY_MAX_AGE = dt.timedelta(hours=1)   # friend_activity is rebuilt whole when its as_of is older
_lock = threading.RLock()                   # one writer of the rollups per process


def mark_dirty(cur) -> None:
    """Called inside a writer's transaction: if the process dies before `apply`, the next start
    (ensure) rebuilds everything instead of serving rollups that miss the write."""
    cur.execute(queries.sql("rollups/state_mark_dirty"))


def _unshadow(cur) -> None:
    """Drop the temporary views named like base tables (rollups/shadow_*): while one stands, the
    rollup's own query, unchanged, reads only the rows in scope. Temporary objects belong to this
    cursor alone. (A view cannot take parameters: the bounds come from the temp._rollup_* tables.)"""
    for name in UNSHADOW:
        cur.execute(queries.sql(name))


_SAME = object()   # apply(reactions_since=) not given: the same as `since`


def apply(con, user_keys=None, since: dt.datetime | None = None, *, deliveries=None,
          rerouted=None, new_friends=None, recipients=None, reactions_since=_SAME) -> dict[str, float]:
    """Bring the rollups up to date after a committed write that touched the friends in
    `user_keys` and events at or after `since` (None: no event times to redo). `deliveries`: the
    broadcasts whose estimated recipients the write changed; `rerouted` and `new_friends`: the
    friends whose route changed, and the new ones (see queries/rollups/scope_deliveries.sql).
    `recipients`: {(broadcast, route): change} of estimated recipients, added to the rows of the
    broadcasts not redone (recounting a broadcast scans every friend). A
    database whose rollups are missing, outdated or marked dirty by an interrupted writer is
    rebuilt whole. `reactions_since`: the earliest event written that can count for a delivery (a
    reaction carrying its delivery, a purchase; None: none was) when the caller knows it — the
    deliveries sent in the 7 days before it are redone; by default `since` is taken for it."""

    with _lock:
        previous = state(con) or {}
        if not previous or _is_dirty_from_before(con) or outdated(con):
            return refresh(con, active_days=previous.get("active_days"))
        now = dt.datetime.now(dt.timezone.utc)
        if previous.get("as_of") is None or now - previous["as_of"] > ACTIVITY_MAX_AGE:
            # "last 7/30/90 days" moved on for every friend: rebuild that one table for all of them
            # (seconds at a million friends; rollup_friend_dims, which copies it, with it), then
            # bring the others up to date incrementally
            refresh(con, active_days=previous.get("active_days"), as_of=now, tables=("rollup_friend_activity",))
        keys = sorted({int(k) for k in (user_keys or ())})
        params = {"reaction_types": REACTION_TYPES, "active_days": previous["active_days"],
                  "as_of": now, **interest_params()}
        timings = {}
        cur = con.cursor()
        try:
            with storage.transaction(cur):
                _apply(cur, keys, since, deliveries, rerouted, new_friends, recipients, params, timings,
                       since if reactions_since is _SAME else reactions_since)
        finally:
            _unshadow(cur)
            cur.close()
        return timings


def _apply(cur, keys: list[int], since, deliveries, rerouted, new_friends, recipients, params: dict,
           timings: dict, reactions_since=None) -> None:
    """apply()'s statements, inside its transaction: each grain's rollups redone in its scope."""
    def run(name: str, **values):
        return cur.execute(queries.sql(name), values) if values else cur.execute(queries.sql(name))

    if keys:
        run("rollups/scope_keys", k=keys)
        # the touched friends' events, read once; friends and friend_tags shadowed by their rows
        for name in ("rollups/scope_events", "rollups/shadow_events_of_keys", "rollups/shadow_friends",
                     "rollups/shadow_friend_tags"):
            run(name)
        for table, name in ROLLUPS:
            if table in PER_FRIEND:
                timings[table] = _redo(cur, table, name, params, {})
        _unshadow(cur)
    if since is not None or deliveries or recipients:
        # a reaction counts for 24 h after a send, a purchase for 7 days: the sends of the 7 days
        # before the first event that can count for one (issue 18: a follow redoes none of them)
        sent_from = reactions_since - dt.timedelta(days=7) if reactions_since is not None else _NEVER
    if since is not None:
        day = since.astimezone(ZoneInfo(config.timezone())).date()
        run("rollups/scope_day", day=day, sent_from=sent_from)
        run("rollups/shadow_events_since")
        for table, name in ROLLUPS:
            if table in PER_DAY:
                timings[table] = _redo(cur, table, name, params, {"day": day})
        _unshadow(cur)
    if since is not None or deliveries or recipients:
        run("rollups/scope_deliveries", sent_from=sent_from, deliveries=sorted(deliveries or ()),
            keys=sorted({int(k) for k in (rerouted or ())} | {int(k) for k in (new_friends or ())}),
            rerouted=sorted({int(k) for k in (rerouted or ())}))
        run("rollups/shadow_deliveries")
        for table, name in ROLLUPS:
            if table in PER_DELIVERY:
                timings[table] = _redo(cur, table, name, params, {})
        _unshadow(cur)
        if recipients:
            started = time.perf_counter()
            changes = sorted(recipients.items(), key=lambda kv: (kv[0][0], kv[0][1] or ""))
            run("rollups/recipient_changes", delivery_ids=[d for (d, _), _ in changes],
                routes=[r for (_, r), _ in changes], changes=[int(n) for _, n in changes])
            for name in ("rollups/recipients_add", "rollups/recipients_new", "rollups/recipients_prune"):
                run(name)
            timings["rollup_delivery_route recipients"] = time.perf_counter() - started
    run("rollups/state_clean")
    # 'all' keeps the last full rebuild; this row tells readers (page caches) the rollups moved
    run("rollups/state_updated")


def _redo(cur, table: str, name: str, params: dict, scope: dict) -> float:
    """Delete the rows of `table` in scope (<query>_redo, with the values `scope`) and make them
    again with the rollup's query over the shadowed base tables."""
    started = time.perf_counter()
    if scope:
        cur.execute(queries.sql(REDO[table]), scope)
    else:
        cur.execute(queries.sql(REDO[table]))
    _rows(cur, name, params).insert_into(table)  # `table` comes from ROLLUPS
    return time.perf_counter() - started


def _is_dirty_from_before(cur) -> bool:
    """A dirty mark older than this process's last apply means a writer died between its commit
    and its rollup update."""
    row = cur.execute(queries.sql("rollups/state_dirty")).fetchone()
    return row is not None and row[0] < _STARTED


_STARTED = dt.datetime.now(dt.timezone.utc)
_NEVER = dt.datetime(9999, 1, 1, tzinfo=dt.timezone.utc)  # no delivery is sent after it
