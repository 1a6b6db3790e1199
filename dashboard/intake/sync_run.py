"""One LINE sync run and what its parts share: the limits and endpoints, PartResult, Paced, Run (clients, a
clock, the call log and the insight pace), the budget and the status the Data page shows.

dashboard/intake/sync.py runs the parts (dashboard/intake/sync_parts.py); both import this module and
it imports neither, so the two no longer import each other.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from dashboard.core import config, queries
from dashboard.line import api
from dashboard.intake import texts
from dashboard.intake.texts import Said


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
        when = Said("sync.paced.when", at=f"{self.frees_at:%Y-%m-%d %H:%M:%S %Z}") if self.frees_at else ""
        return Said("sync.paced", n=INSIGHT_PER_HOUR, endpoint=self.endpoint, when=when)


class Run:
    """One sync run: LINE clients, a clock, a cursor for the parts' writes and one for the call log.

    The call log is written outside the parts' transactions and committed at once: a call LINE
    counted must stay counted even when the part's writes are rolled back."""

    def __init__(self, con, clients: api.Clients, now: dt.datetime | None = None):
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
        except api.LineError as err:
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
        except api.LineError as err:
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


def describe(err: api.LineError) -> str:
    """A LineError in one line for the operator."""
    message = (err.message or "")[:440]   # the whole stays within ~500 characters, as before
    if err.status is None:
        return Said("sync.err.no_answer", kind=err.kind, message=message)
    return Said("sync.err.answered", status=err.status, kind=err.kind, message=message)


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
    for part, started_at, finished_at, state, detail, said in cur.execute(queries.sql("sync/last_runs")).fetchall():
        parts[part] = {"started_at": started_at, "finished_at": finished_at, "status": state,
                       "message": texts.from_json(said, detail)}
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
