"""LINE sync: what LINE knows and webhooks don't tell — `python -m dashboard sync` and the Data page.

Parts (PARTS, in this order; each is recorded in line_sync_runs as ok, skipped, failed or paced):
  followers          follower IDs (verified/premium accounts only) against our friends table
  profiles           display names of friends who have none
  insight_followers  LINE's follower numbers per day          -> insight_followers
  delivery_counts    messages LINE delivered per day by kind  -> insight_message_delivery
  unit_stats         statistics per aggregation unit (our push/multicast deliveries) -> delivery_stats
  request_stats      statistics per request id (our narrowcasts/broadcasts)          -> delivery_stats
  quota              message quota and this month's consumption                      -> line_quota

Rate: LINE allows 60 requests per hour to each /v2/bot/insight/* endpoint (LINE_API_NOTES §2: limits
are counted per endpoint, token-bucket style). Every call is logged in line_api_calls; before an
insight call, the calls to that endpoint in the rolling hour are counted, and at 60 the part stops
as 'paced' with the time a request frees up. A rolling-hour count never exceeds a token bucket of 60.

Cache: insight days are LINE's days (UTC+9). The last BACKFILL_DAYS days before today are kept,
newest first; a day is not asked again once LINE answered `ready` and our copy was fetched after the
day was SETTLED_AFTER_DAYS days old, or once LINE answered `out_of_service` (stored with null
numbers). `unready` days are asked again next run. Delivery statistics are asked at most once per
account day, until LINE stops updating them (STATS_SETTLE_DAYS after the send).

Each part writes in one transaction of its own. Parts whose rows stand alone (a day, a delivery, a
friend's name) keep what they fetched before LINE failed; followers keeps nothing of a list it could
not finish. A LineError fails that part only; the others still run.
"""
from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from dashboard import config, line_api, queries

PARTS = ("followers", "profiles", "insight_followers", "delivery_counts", "unit_stats", "request_stats", "quota")
INSIGHT_PER_HOUR = 60          # LINE: every /v2/bot/insight/* endpoint, per channel
BACKFILL_DAYS = 30             # insight days kept (and at most asked per run), newest first
SETTLED_AFTER_DAYS = 2         # a ready day fetched when older than this is final
STATS_SETTLE_DAYS = 14         # LINE updates a message's statistics for 14 days after sending
UNIT_PERIOD_DAYS = 30          # LINE: `to` at most 30 days after `from`
STATS_PER_RUN = 50             # deliveries asked per part and run
PROFILES_PER_RUN = 300         # profile look-ups per run: LINE allows 2,000/s, but each is a round trip the button waits for
FOLLOWER_PAGE = 1000           # LINE's maximum page of follower IDs
JST = dt.timezone(dt.timedelta(hours=9))   # LINE's insight days
NOT_VERIFIED = "follower IDs are only available to verified or premium accounts"

FOLLOWER_IDS = "/v2/bot/followers/ids"
PROFILE = "/v2/bot/profile/{userId}"
INSIGHT_FOLLOWERS = "/v2/bot/insight/followers"
INSIGHT_DELIVERY = "/v2/bot/insight/message/delivery"
INSIGHT_UNIT = "/v2/bot/insight/message/event/aggregation"
INSIGHT_EVENT = "/v2/bot/insight/message/event"
QUOTA = "/v2/bot/message/quota"
QUOTA_CONSUMPTION = "/v2/bot/message/quota/consumption"

# every query of sync and its parts (sync_parts.py), checked when this module loads
queries.require(
    "sync/log_call", "sync/insight_calls", "sync/record_run", "sync/last_runs", "sync/latest_quota",
    "sync/follower_ids_stage", "sync/follower_ids_add", "sync/insert_new_followers", "sync/refollow_listed",
    "sync/count_unlisted", "sync/touched_followers", "sync/profiles_due", "sync/set_display_name",
    "sync/insight_followers_days", "sync/upsert_insight_followers", "sync/message_delivery_days",
    "sync/upsert_message_delivery", "sync/unit_stats_due", "sync/request_stats_due", "sync/upsert_delivery_stats",
    "sync/insert_quota")
_lock = threading.Lock()       # one sync at a time per process (CLI, Data page button)


@dataclass
class PartResult:
    part: str
    status: str                # ok, skipped, failed, paced
    message: str
    rows: int = 0              # rows written


class Paced(Exception):
    """The hour's budget of an insight endpoint is used up (ours, or LINE said 429)."""

    def __init__(self, endpoint: str, frees_at: dt.datetime | None):
        super().__init__(endpoint)
        self.endpoint, self.frees_at = endpoint, frees_at

    def describe(self) -> str:
        when = f"; the next request is possible at {self.frees_at:%Y-%m-%d %H:%M:%S %Z}" if self.frees_at else ""
        return f"LINE allows {INSIGHT_PER_HOUR} requests per hour to {self.endpoint}{when}"


class Run:
    """One sync run: LINE clients, a clock, a cursor for the parts' writes and one for the call log.

    The call log is written outside the parts' transactions and committed at once: a call LINE
    counted must stay counted even when the part's writes are rolled back."""

    def __init__(self, con, clients: line_api.Clients, now: dt.datetime | None = None):
        self.clients = clients
        self.cur, self.log_cur = con.cursor(), con.cursor()
        self._fixed_now = _aware(now) if now is not None else None
        self.after_commit: list = []   # work a part leaves for after its commit (rollups)

    def now(self) -> dt.datetime:
        return self._fixed_now or dt.datetime.now(dt.timezone.utc)

    def line_today(self) -> dt.date:
        return self.now().astimezone(JST).date()

    def account_today(self) -> dt.date:
        return self.now().astimezone(ZoneInfo(config.timezone())).date()

    def call(self, endpoint: str, fn, *args):
        """fn(clients, *args), logged in line_api_calls with LINE's HTTP status."""
        status = None
        try:
            result = fn(self.clients, *args)
            status = 200
            return result
        except line_api.LineError as err:
            status = err.status
            raise
        finally:
            queries.run(self.log_cur, "sync/log_call", called_at=self.now(), endpoint=endpoint, status=status)

    def insight_call(self, endpoint: str, fn, *args):
        """An insight call within the hour's budget; Paced instead of a call beyond it."""
        used, frees_at = endpoint_budget(self.log_cur, endpoint, self.now())
        if used >= INSIGHT_PER_HOUR:
            raise Paced(endpoint, frees_at)
        try:
            return self.call(endpoint, fn, *args)
        except line_api.LineError as err:
            if err.kind == "rate_limit":  # LINE counts more than we logged (another tool on the channel)
                raise Paced(endpoint, endpoint_budget(self.log_cur, endpoint, self.now())[1]) from err
            raise

    def close(self) -> None:
        for cur in (self.cur, self.log_cur):
            cur.close()


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def _insight_calls(cur, now: dt.datetime) -> dict[str, list[dt.datetime]]:
    calls: dict[str, list[dt.datetime]] = {}
    for endpoint, called_at in cur.execute(queries.sql("sync/insight_calls"), {"now": now}).fetchall():
        calls.setdefault(endpoint, []).append(called_at)
    return calls


def _budget(calls: list[dt.datetime]) -> tuple[int, dt.datetime | None]:
    """(calls in the hour, when the next request is possible): now while under the limit, else
    an hour after the call whose leaving the window brings the count under it."""
    used = len(calls)
    if used < INSIGHT_PER_HOUR:
        return used, None
    return used, calls[used - INSIGHT_PER_HOUR] + dt.timedelta(hours=1)


def endpoint_budget(cur, endpoint: str, now: dt.datetime) -> tuple[int, dt.datetime | None]:
    return _budget(_insight_calls(cur, now).get(endpoint, []))


def run(con, parts=None, *, now: dt.datetime | None = None, clients: line_api.Clients | None = None) -> list[PartResult]:
    """Run the given parts (default all, in PARTS order); returns one PartResult per part.

    `clients` defaults to line_api.clients() (the sandbox when no token is set); `now` freezes the
    clock (tests): every call and row is then stamped with it."""
    from dashboard import sync_parts

    wanted = list(PARTS) if not parts else list(parts)
    unknown = [p for p in wanted if p not in PARTS]
    if unknown:
        raise ValueError(f"unknown sync part(s): {', '.join(unknown)} (known: {', '.join(PARTS)})")
    ordered = [p for p in PARTS if p in wanted]
    if not _lock.acquire(blocking=False):
        return [PartResult(p, "skipped", "another sync is running in this process") for p in ordered]
    own_clients = clients is None
    try:
        clients = clients or line_api.clients()
        sync_run = Run(con, clients, now)
        try:
            return [_run_part(sync_run, part, sync_parts.PART_FUNCTIONS[part]) for part in ordered]
        finally:
            sync_run.close()
    finally:
        if own_clients and clients is not None:
            clients.close()
        _lock.release()


def _run_part(sync_run: Run, part: str, fn) -> PartResult:
    started = sync_run.now()
    cur = sync_run.cur
    sync_run.after_commit = []
    cur.execute("begin")
    try:
        result = fn(sync_run)
        cur.execute("commit")
    except line_api.LineError as err:
        _rollback(cur)
        result = PartResult(part, "failed", describe(err))
    except Exception as exc:  # a bug or a database error: recorded, and the other parts still run
        _rollback(cur)
        result = PartResult(part, "failed", f"internal error: {type(exc).__name__}: {exc}"[:500])
    else:
        for follow_up in sync_run.after_commit:
            try:
                follow_up()
            except Exception as exc:  # the rows are committed; the rollups are rebuilt on next start
                result.message += f" (rollups not updated: {type(exc).__name__}: {exc})"
    queries.run(sync_run.log_cur, "sync/record_run", started_at=started, finished_at=sync_run.now(), part=part,
                status=result.status, detail=result.message)
    return result


def _rollback(cur) -> None:
    try:
        cur.execute("rollback")
    except Exception:  # no transaction open any more (it failed at commit, or after it)
        pass


def describe(err: line_api.LineError) -> str:
    """A LineError in one line for the operator."""
    if err.status is None:
        return f"LINE did not answer ({err.kind}): {err.message}"[:500]
    return f"LINE answered {err.status} ({err.kind}): {err.message}"[:500]


def status(cur, *, now: dt.datetime | None = None) -> dict:
    """For the Data page: the latest run of each part, the insight budget, and the latest quota.

    {"parts": {part: {"started_at", "finished_at", "status", "message"} or None},
     "insight_calls_last_hour": int (all insight endpoints), "insight_limit_per_hour": 60,
     "insight_budget_remaining": 60 - calls of the busiest endpoint in the hour,
     "insight_budget_frees_at": when the busiest endpoint's oldest call leaves the hour (None: no calls),
     "insight_endpoints": {endpoint: {"used", "remaining", "frees_at"}},
     "quota": {"checked_at", "type", "value", "total_usage"} or None}"""
    now = _aware(now) if now is not None else dt.datetime.now(dt.timezone.utc)
    parts = {p: None for p in PARTS}
    for part, started_at, finished_at, state, detail in cur.execute(queries.sql("sync/last_runs")).fetchall():
        parts[part] = {"started_at": started_at, "finished_at": finished_at, "status": state, "message": detail}
    endpoints = {}
    for endpoint, calls in _insight_calls(cur, now).items():
        used = len(calls)
        endpoints[endpoint] = {"used": used, "remaining": max(0, INSIGHT_PER_HOUR - used),
                               "frees_at": _budget(calls)[1] or calls[0] + dt.timedelta(hours=1)}
    busiest = max(endpoints.values(), key=lambda e: e["used"], default=None)
    row = cur.execute(queries.sql("sync/latest_quota")).fetchone()
    return {
        "parts": parts,
        "insight_calls_last_hour": sum(e["used"] for e in endpoints.values()),
        "insight_limit_per_hour": INSIGHT_PER_HOUR,
        "insight_budget_remaining": INSIGHT_PER_HOUR - busiest["used"] if busiest else INSIGHT_PER_HOUR,
        "insight_budget_frees_at": busiest["frees_at"] if busiest else None,
        "insight_endpoints": endpoints,
        "quota": None if row is None else dict(zip(("checked_at", "type", "value", "total_usage"), row)),
    }


def cli(args) -> int:
    """`python -m dashboard sync [--part P ...] [--db PATH]`.

    Expects an argparse Namespace with `part`: a list of part names (PARTS; e.g. from
    `add_argument("--part", action="append", choices=PARTS)`) or None for all, and optionally `db`: a
    database path (None or absent: setting DASHBOARD_DB). Prints one line per part; returns 0 unless
    every part failed (1), or the sync could not start (LineError / StorageError propagate)."""
    from dashboard import storage

    db = getattr(args, "db", None) or config.db_path()
    con = storage.connect(db)
    try:
        clients = line_api.clients()
        print(f"LINE sync against {'the sandbox' if clients.sandbox else 'LINE'} ({line_api.base_url()}) -> {db}",
              flush=True)
        try:
            results = run(con, getattr(args, "part", None), clients=clients)
        finally:
            clients.close()
    finally:
        con.close()
    for r in results:
        print(f"{r.part:<18} {r.status:<8} {r.message}", flush=True)
    return 1 if results and all(r.status == "failed" for r in results) else 0
