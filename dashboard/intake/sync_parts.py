"""The parts of LINE sync, one function each (dashboard/intake/sync.py explains pacing, cache and transactions).

A part takes the sync.Run and returns a PartResult. It runs inside its own transaction on run.cur:
returning commits (also a 'failed' or 'paced' result: the rows it reports were fetched and stand
alone), raising rolls back.
"""
from __future__ import annotations

import datetime as dt

from dashboard.line import api, ids as line_ids
from dashboard.core import queries
from dashboard.analytics import rollups
from dashboard.line.api import LineError
from dashboard.intake.texts import Said
from dashboard.intake.sync_run import (BACKFILL_DAYS, FOLLOWER_IDS, FOLLOWER_PAGE, INSIGHT_DELIVERY,
                                       INSIGHT_EVENT, INSIGHT_FOLLOWERS, INSIGHT_UNIT, JST, NOT_VERIFIED,
                                       PROFILE, PROFILES_PER_RUN, QUOTA, QUOTA_CONSUMPTION,
                                       SETTLED_AFTER_DAYS, STATS_PER_RUN, STATS_SETTLE_DAYS,
                                       UNIT_PERIOD_DAYS, Paced, PartResult, Run, describe)

# insight/message/delivery fields -> insight_message_delivery columns
DELIVERY_FIELDS = {"broadcast": "broadcast", "targeting": "targeting", "autoResponse": "auto_response",
                   "welcomeResponse": "welcome_response", "chat": "chat", "apiBroadcast": "api_broadcast",
                   "apiPush": "api_push", "apiMulticast": "api_multicast", "apiNarrowcast": "api_narrowcast",
                   "apiReply": "api_reply"}


def _changed(frame) -> int:
    """Rows an insert or update reported (DuckDB answers DML with a Count)."""
    return 0 if frame.empty else int(frame.iat[0, 0])


# ---- followers and profiles -------------------------------------------------------------------

def followers(run: Run) -> PartResult:
    """Compare LINE's follower list with our friends. Unknown followers are added; blocked friends
    LINE lists again follow again; following friends LINE leaves out are only counted (see the
    headers of sync/refollow_listed.sql and sync/count_unlisted.sql for why)."""
    cur = run.cur
    listing_started = run.now()
    queries.run(cur, "sync/follower_ids_stage")
    token, tokens_seen, listed, pages = None, set(), 0, 0
    refused: list[str] = []   # not LINE user IDs: never stored, never sent to
    while True:
        try:
            ids, token = run.call(FOLLOWER_IDS, api.follower_ids, token, FOLLOWER_PAGE)
        except LineError as err:
            if err.status == 403:  # the documented refusal for unverified, non-premium accounts
                return PartResult("followers", "skipped", Said("sync.followers.not_verified", message=err.message))
            raise
        bad = line_ids.invalid_user_ids(ids)
        if bad:
            refused.extend(bad)
            ids = [i for i in ids if line_ids.is_user_id(i)]
        if ids:
            queries.run(cur, "sync/follower_ids_add", ids=ids)
        listed, pages = listed + len(ids), pages + 1
        if not token:
            break
        if token in tokens_seen:  # a loop would page forever
            raise LineError("server", None, "LINE repeated a continuation token of the follower list")
        tokens_seen.add(token)
    seen_at = run.now()
    added = _changed(queries.run(cur, "sync/insert_new_followers", seen_at=seen_at))
    refollowed = _changed(queries.run(cur, "sync/refollow_listed", seen_at=seen_at, listing_started=listing_started))
    unlisted = int(queries.scalar(cur, "sync/count_unlisted", listing_started=listing_started) or 0)
    if added or refollowed:
        keys = queries.run(cur, "sync/touched_followers", seen_at=seen_at)["user_key"].tolist()
        rollups.mark_dirty(cur)  # a crash before apply rebuilds the rollups on next start
        run.after_commit.append(lambda: rollups.apply(run.cur, user_keys=keys, since=seen_at))
    return PartResult("followers", "ok", Said(
        "sync.followers.ok", listed=f"{listed:,}", pages=pages, added=f"{added:,}", refollowed=f"{refollowed:,}",
        unlisted=f"{unlisted:,}", refused=Said("sync.followers.refused", n=f"{len(refused):,}", example=repr(refused[0][:40]))
        if refused else ""), added + refollowed)


def profiles(run: Run) -> PartResult:
    """Display names for friends who have none, at most PROFILES_PER_RUN per run."""
    due = queries.run(run.cur, "sync/profiles_due", salt=run.now().isoformat(), max=PROFILES_PER_RUN)["user_id"]
    named = refused = malformed = 0
    for user_id in due:
        if not line_ids.is_user_id(user_id):  # never put a value of another shape into LINE's URL
            malformed += 1
            continue
        try:
            profile = run.call(PROFILE, api.profile, user_id)
        except LineError as err:
            if err.status == 404:  # blocked, no friend, or no consent: LINE will not say
                refused += 1
                continue
            return PartResult("profiles", "failed", Said("sync.profiles.failed", error=describe(err), named=f"{named:,}"),
                              named)
        if profile.get("displayName"):
            queries.run(run.cur, "sync/set_display_name", user_id=user_id, display_name=profile["displayName"])
            named += 1
    return PartResult("profiles", "ok", Said(
        "sync.profiles.ok", named=f"{named:,}", refused=f"{refused:,}", due=f"{len(due):,}", max=f"{PROFILES_PER_RUN:,}",
        malformed=Said("sync.profiles.malformed", n=f"{malformed:,}") if malformed else ""), named)


# ---- insight per day --------------------------------------------------------------------------

def _final(day: dt.date, fetched_at: dt.datetime | None, out_of_service: bool) -> bool:
    """Not asked again: out_of_service, or ready and fetched once the day was SETTLED_AFTER_DAYS old."""
    if fetched_at is None:
        return False
    settled_from = dt.datetime.combine(day + dt.timedelta(days=1 + SETTLED_AFTER_DAYS), dt.time(0), JST)
    return out_of_service or fetched_at >= settled_from


def _insight_days(run: Run, part: str, endpoint: str, fetch, held_query: str, write) -> PartResult:
    today = run.line_today()
    days = [today - dt.timedelta(days=n) for n in range(1, BACKFILL_DAYS + 1)]   # newest first
    held = {day: (fetched_at, out) for day, fetched_at, out
            in run.cur.execute(queries.sql(held_query), {"first": days[-1]}).fetchall()}
    due = [day for day in days if not _final(day, *held.get(day, (None, False)))]
    seen = {"ready": 0, "unready": 0, "out_of_service": 0}
    rows = 0

    def summary() -> str:
        other = sum(seen.values()) - seen["ready"] - seen["unready"] - seen["out_of_service"]
        return Said("sync.days.summary", ready=seen["ready"], unready=seen["unready"] + other,
                    out=seen["out_of_service"])

    for n, day in enumerate(due):
        try:
            answer = run.insight_call(endpoint, fetch, day)
        except Paced as paced:
            return PartResult(part, "paced", Said("sync.days.paced", summary=summary(), left=len(due) - n,
                                                  paced=paced.describe()), rows)
        except LineError as err:
            return PartResult(part, "failed", Said("sync.days.failed", error=describe(err), summary=summary()), rows)
        state = answer.get("status")
        if state in ("ready", "out_of_service"):
            write(run, day, answer if state == "ready" else None)
            rows += 1
        seen[state] = seen.get(state, 0) + 1
    return PartResult(part, "ok", Said("sync.days.ok", summary=summary(), final=len(days) - len(due),
                                       days=BACKFILL_DAYS), rows)


def _write_followers(run: Run, day: dt.date, answer: dict | None) -> None:
    answer = answer or {}
    queries.run(run.cur, "sync/upsert_insight_followers", day=day, followers=answer.get("followers"),
                targeted_reaches=answer.get("targetedReaches"), blocks=answer.get("blocks"), fetched_at=run.now())


def _write_delivery(run: Run, day: dt.date, answer: dict | None) -> None:
    # a ready answer leaves out the kinds it has nothing for: 0; out_of_service (None): all null
    counts = {column: None if answer is None else answer.get(field, 0) for field, column in DELIVERY_FIELDS.items()}
    queries.run(run.cur, "sync/upsert_message_delivery", day=day, fetched_at=run.now(), **counts)


def insight_followers(run: Run) -> PartResult:
    return _insight_days(run, "insight_followers", INSIGHT_FOLLOWERS, api.insight_followers,
                         "sync/insight_followers_days", _write_followers)


def delivery_counts(run: Run) -> PartResult:
    return _insight_days(run, "delivery_counts", INSIGHT_DELIVERY, api.insight_message_delivery,
                         "sync/message_delivery_days", _write_delivery)


# ---- statistics of our deliveries --------------------------------------------------------------

def _statistics(answer: dict) -> dict:
    """LINE's overview/messages/clicks as delivery_stats columns (see sync/upsert_delivery_stats.sql)."""
    overview = answer.get("overview") or {}
    displays = [m.get("impression") for m in answer.get("messages") or [] if m.get("impression") is not None]
    opens = [c.get("click") for c in answer.get("clicks") or []]
    return {"impressions": max(displays) if displays else None,
            "unique_impressions": overview.get("uniqueImpression"),
            "clicks": sum(opens) if opens and None not in opens else None,
            "unique_clicks": overview.get("uniqueClick")}


def _delivery_stats(run: Run, part: str, due_query: str, endpoint: str, ask) -> PartResult:
    today = run.account_today()
    due = queries.run(run.cur, due_query, today=today, since=run.now() - dt.timedelta(days=UNIT_PERIOD_DAYS + 1),
                      settle_days=STATS_SETTLE_DAYS, max=STATS_PER_RUN)
    saved = unknown = 0
    for n, (delivery_id, key, sent_at) in enumerate(due.itertuples(index=False)):
        try:
            answer = run.insight_call(endpoint, *ask(key, sent_at))
        except Paced as paced:
            return PartResult(part, "paced", Said("sync.stats.paced", saved=saved, left=len(due) - n,
                                                  paced=paced.describe()), saved)
        except LineError as err:
            if err.kind == "bad_request":  # LINE does not know this unit or request (yet): this one only
                unknown += 1
                continue
            return PartResult(part, "failed", Said("sync.stats.failed", error=describe(err), saved=saved), saved)
        queries.run(run.cur, "sync/upsert_delivery_stats", delivery_id=delivery_id, day=today, **_statistics(answer))
        saved += 1
    return PartResult(part, "ok", Said("sync.stats.ok", saved=saved, unknown=unknown, due=len(due),
                                       days=UNIT_PERIOD_DAYS + 1, max=STATS_PER_RUN), saved)


def unit_stats(run: Run) -> PartResult:
    def ask(unit: str, sent_at):
        first = sent_at.astimezone(JST).date()
        return api.unit_statistics, unit, first, min(run.line_today(), first + dt.timedelta(days=UNIT_PERIOD_DAYS))
    return _delivery_stats(run, "unit_stats", "sync/unit_stats_due", INSIGHT_UNIT, ask)


def request_stats(run: Run) -> PartResult:
    return _delivery_stats(run, "request_stats", "sync/request_stats_due", INSIGHT_EVENT,
                           lambda request_id, sent_at: (api.message_event, request_id))


# ---- quota -------------------------------------------------------------------------------------

def quota(run: Run) -> PartResult:
    limit = run.call(QUOTA, api.message_quota)
    used = run.call(QUOTA_CONSUMPTION, api.quota_consumption)
    kind = limit.get("type")
    value = limit.get("value") if kind == "limited" else None
    total = used.get("totalUsage")
    queries.run(run.cur, "sync/insert_quota", checked_at=run.now(), quota_type=kind, quota_value=value,
                total_usage=total)
    target = Said("sync.quota.limited", value=f"{value:,}") if value is not None else Said("sync.quota.none")
    return PartResult("quota", "ok", Said("sync.quota.ok", target=target,
                                          total=total if total is None else format(total, ",")), 1)


PART_FUNCTIONS = {"followers": followers, "profiles": profiles, "insight_followers": insight_followers,
                  "delivery_counts": delivery_counts, "unit_stats": unit_stats, "request_stats": request_stats,
                  "quota": quota}
