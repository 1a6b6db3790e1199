"""Where friends leave a scenario: per step, sent -> reacted within 24 h -> blocked within 24 h ->
converted within 7 days (queries/scenarios/funnel.sql says exactly what counts), the step where
most leave, and what answering follows by reply saved.
"""
from __future__ import annotations

from dashboard.core import config, queries

queries.require("scenarios/funnel", "scenarios/via_counts", "scenarios/silent_friends")

SILENT_DAYS = 21


def table(cur, name: str, *, by_route: bool = False, routes: list[str] | None = None):
    """The funnel as a frame: step_no, inflow_route (when by_route), sent, reacted, blocked, converted,
    plus the share of each and the drop from the step before (friends sent this step vs the last)."""
    frame = queries.run(cur, "scenarios/funnel", scenario_name=name, by_route=by_route, routes=routes or [])
    if frame.empty:
        return frame
    for column in ("reacted", "blocked", "converted"):
        frame[f"{column}_rate"] = frame[column] / frame["sent"]
    if not by_route:
        frame["drop_off"] = 1 - frame["sent"] / _reference(cur, name, frame)
    return frame


def _reference(cur, name: str, frame):
    """What each step's reach is compared with: the last earlier step without a condition — every
    friend still in the scenario passed it. After a conditional step (which some skip) the next step
    is compared with the step before the branch, not with the branch: a drop of -100 % says nothing."""
    from dashboard.scenarios import store

    conditional = {s.step_no for s in store.load(cur, name).steps if s.condition is not None}
    out, last = [], None
    for step_no, sent in zip(frame["step_no"], frame["sent"]):
        out.append(float("nan") if last is None else last)
        if int(step_no) not in conditional:
            last = sent
    return out


def per_step(cur, name: str) -> dict[int, dict]:
    frame = table(cur, name)
    return {int(r["step_no"]): r for r in frame.to_dict("records")} if not frame.empty else {}


def worst_step(cur, name: str) -> int | None:
    """The step after which most friends leave: the highest block rate within 24 h (None without sends)."""
    frame = table(cur, name)
    if frame.empty:
        return None
    return int(frame.loc[frame["blocked_rate"].idxmax(), "step_no"])


def reply_savings(cur, name: str) -> dict:
    """Welcome messages by reply (free) and by push, and the yen saved at the extra-message price
    (what those replies would have cost had they been pushed beyond the free messages)."""
    counts = dict(queries.run(cur, "scenarios/via_counts", scenario_name=name).itertuples(index=False))
    reply = int(counts.get("reply", 0))
    price = float(config.get("DASHBOARD_PRICE_PER_EXTRA_MESSAGE") or 0)
    return {"reply": reply, "push": int(counts.get("push", 0)) + int(counts.get("multicast", 0)),
            "yen_saved": reply * price}


def silent_friends(cur, *, now=None, days: int = SILENT_DAYS):
    """Friends who followed over `days` days ago and have received nothing since, per route (the
    frame is empty when there are none): the people a welcome scenario exists for."""
    import datetime as dt

    return queries.run(cur, "scenarios/silent_friends", now=now or dt.datetime.now(dt.timezone.utc), days=days)
