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
import logging
import secrets
import threading

from dashboard.core import config, queries, storage
from dashboard.line import api
from dashboard.intake import sync_parts
# also taken through this module by its callers: BACKFILL_DAYS, JST, PARTS, status
from dashboard.intake import texts
from dashboard.intake.sync_run import BACKFILL_DAYS, JST, PARTS, PartResult, Run, describe, status  # noqa: F401

LOG = logging.getLogger(__name__)


_lock = threading.Lock()       # one sync at a time per process (CLI, Data page button)


def run(con, parts=None, *, now: dt.datetime | None = None, clients: api.Clients | None = None) -> list[PartResult]:
    """Run the given parts (default all, in PARTS order); returns one PartResult per part.

    `clients` defaults to line_api.clients() (the sandbox when no token is set); `now` freezes the
    clock (tests): every call and row is then stamped with it."""
    wanted = list(PARTS) if not parts else list(parts)
    unknown = [p for p in wanted if p not in PARTS]
    if unknown:
        raise ValueError(f"unknown sync part(s): {', '.join(unknown)} (known: {', '.join(PARTS)})")
    ordered = [p for p in PARTS if p in wanted]
    if not _lock.acquire(blocking=False):
        return [PartResult(p, "skipped", texts.Said("sync.busy")) for p in ordered]
    own_clients = clients is None
    try:
        clients = clients or api.clients()
        sync_run = Run(con, clients, now)
        try:
            return [_run_part(sync_run, part, sync_parts.PART_FUNCTIONS[part]) for part in ordered]
        finally:
            sync_run.close()
    finally:
        if own_clients and clients is not None:
            clients.close()
        _lock.release()


def _logged(exc: BaseException, part: str) -> str:
    """The details go to the server log under a short reference; the operator sees the reference."""
    ref = secrets.token_hex(4)
    LOG.error("LINE sync part %s failed (ref %s)", part, ref, exc_info=exc)
    return ref


def _run_part(sync_run: Run, part: str, fn) -> PartResult:
    started = sync_run.now()
    cur = sync_run.cur
    sync_run.after_commit = []
    try:
        with storage.transaction(cur):  # rolled back when the part fails, at commit or before
            result = fn(sync_run)
    except api.LineError as err:
        result = PartResult(part, "failed", describe(err))
    except Exception as exc:  # a bug or a database error: recorded, and the other parts still run
        result = PartResult(part, "failed", texts.Said("sync.internal_error", ref=_logged(exc, part)))
    else:
        for follow_up in sync_run.after_commit:
            try:
                follow_up()
            except Exception as exc:  # the rows are committed; the rollups are rebuilt on next start
                result.message = texts.Said("sync.rollups_stale", before=result.message, ref=_logged(exc, part))
    queries.run(sync_run.log_cur, "sync/record_run", started_at=started, finished_at=sync_run.now(), part=part,
                status=result.status, detail=result.message, said=texts.to_json(result.message))
    return result


def cli(args) -> int:
    """`python -m dashboard sync [--part P ...] [--db PATH]`.

    Expects an argparse Namespace with `part`: a list of part names (PARTS; e.g. from
    `add_argument("--part", action="append", choices=PARTS)`) or None for all, and optionally `db`: a
    database path (None or absent: setting DASHBOARD_DB). Prints one line per part; returns 0 unless
    every part failed (1), or the sync could not start (LineError / StorageError propagate)."""
    from dashboard.core import storage

    db = getattr(args, "db", None) or config.db_path()
    con = storage.connect(db)
    try:
        clients = api.clients()
        print(f"LINE sync against {'the sandbox' if clients.sandbox else 'LINE'} ({api.base_url()}) -> {db}",
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
