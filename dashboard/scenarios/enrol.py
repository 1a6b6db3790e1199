"""Enrolling existing friends: an explicit step with a preview — who would get which step when,
counted, and what it costs in yen — before anything is written (DESIGN: no surprises).

The audience is a saved segment's members following now (the compose page's own audience query,
without a frequency cap: the cap is applied to each step when it is sent). Friends already enrolled
in the scenario (also those who finished or left it) are not enrolled again.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from dashboard.analytics.quota import FREE_MESSAGES, NO_EXTRA_MESSAGES
from dashboard.audience import running, saved
from dashboard.core import audit, config, queries, storage
from dashboard.messaging import planning
from dashboard.scenarios import store, timing

queries.require("scenarios/enrol_candidates", "scenarios/enrol_insert", "scenarios/used_this_month",
                "sync/latest_quota")


def _audience(cur, segment: str, now: dt.datetime) -> None:
    rule = saved.get(cur, name=segment)["rule"]
    found = running.recipients(rule, running.Exclusions(0), running.as_of(cur), now=now)
    cur.execute(*found.query.into("segment_members"))


def _month_used(cur, now: dt.datetime) -> tuple[int, int | None]:
    zone = ZoneInfo(config.timezone())
    local = now.astimezone(zone)
    start = dt.datetime(local.year, local.month, 1, tzinfo=zone)
    ours = int(queries.run(cur, "scenarios/used_this_month", start=start).iat[0, 0])
    latest = queries.run(cur, "sync/latest_quota")
    line_used = limit = None
    if not latest.empty:
        row = latest.iloc[0]
        if row["quota_type"] == "limited" and row["quota_value"] == row["quota_value"]:
            limit = int(row["quota_value"])
        if row["checked_at"] >= start and row["total_usage"] == row["total_usage"]:
            line_used = int(row["total_usage"])
    return max(ours, line_used or 0), limit


def preview(cur, name: str, segment: str, *, now: dt.datetime | None = None) -> dict:
    """Who would get which step when, if they were enrolled now, and the cost of the messages.
    Conditions and exits may leave steps out later: the count per step is the most it can be."""
    now = now or dt.datetime.now(dt.timezone.utc)
    scenario = store.load(cur, name)
    _audience(cur, segment, now)
    friends = len(queries.run(cur, "scenarios/enrol_candidates", sid=scenario.scenario_id))
    intervals = timing.allowed_intervals(scenario.window, planning.quiet_hours())
    tz = config.timezone()
    steps, reference = [], now
    for step in scenario.steps:   # everyone shares day 0, so everyone shares the timeline
        reference = timing.due(step.timing, enrolled_at=now, reference=reference, intervals=intervals, tz=tz)
        steps.append({"step": step.step_no, "name": step.name, "at": reference, "friends": friends,
                      "conditional": step.condition is not None})
    messages = friends * len(scenario.steps)
    plan = config.get("DASHBOARD_PLAN") or "standard"
    price = float(config.get("DASHBOARD_PRICE_PER_EXTRA_MESSAGE") or 0)
    used, limit = _month_used(cur, now)
    free = FREE_MESSAGES.get(plan, 0)
    overage = max(0, used + messages - free) - max(0, used - free)
    return {"scenario": name, "segment": segment, "friends": friends, "steps": steps, "messages": messages,
            "used_this_month": used, "quota_limit": limit, "free": free, "overage": overage,
            "cost_yen": 0.0 if plan in NO_EXTRA_MESSAGES else overage * price, "plan": plan,
            "over_limit": limit is not None and used + messages > limit}


def enrol(con, name: str, segment: str, actor: str, *, now: dt.datetime | None = None) -> dict:
    """Enrol the previewed friends (one transaction, audited); returns the preview and the count."""
    now = now or dt.datetime.now(dt.timezone.utc)
    cur = con.cursor()
    try:
        shown = preview(cur, name, segment, now=now)
        scenario = store.load(cur, name)
        if store.row(cur, name)["status"] not in ("active", "paused", "draft"):
            raise store.StoreError("archived", name=name)
        with storage.transaction(cur):
            _audience(cur, segment, now)
            done = int(queries.run(cur, "scenarios/enrol_insert", sid=scenario.scenario_id, now=now,
                                   due=shown["steps"][0]["at"], by=f"manual:{getattr(actor, 'name', actor)}").iat[0, 0])
            audit.record(cur, actor, "scenario.enrol", f"scenario:{scenario.scenario_id}",
                         {"name": name, "segment": segment, "friends": done, "cost_yen": shown["cost_yen"]})
        return shown | {"enrolled": done}
    finally:
        cur.close()
