"""Goals (KGI / KPI, seed 001): a target and a date per KPI, set by an admin, and where each stands.

Each KPI is measured exactly as the Overview measures it, over the 28 days up to the check-up's
instant (`clock.as_of`): friends, target reach and active friends at that instant; block rate,
reactions per delivery and purchases from LINE over those 28 days. A goal shows

  progress   how much of the way from the value when the goal was set (baseline) to the target
             is done: (current − baseline) ÷ (target − baseline), 100 % once the target is met;
  pace       what it takes: (target − current) ÷ weeks left, beside the current trend per week;
  forecast   a straight line fitted (least squares) through the KPI's value at the end of each of
             the last TREND_WEEKS weeks and the current value, carried on to the due date —
             the method is said in words next to it (`hl.goal.method`); no forecast with fewer than
             MIN_POINTS values.

Setting or removing a goal is an admin's action, checked here on the server and written to the
audit log in the same transaction.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from dashboard.access import roles
from dashboard.analytics import metrics
from dashboard.checkup import clock
from dashboard.core import audit, queries, storage

queries.require("checkup/goals_list", "checkup/goal_upsert", "checkup/goal_delete", "checkup/purchases")

# the KPIs a goal can be set for, in the page's order; True when lower is better
KPIS: dict[str, bool] = {"friends": False, "following": False, "active_friends": False, "block_rate": True,
                         "reactions_per_delivery": False, "purchases": False}
RATES = {"block_rate", "reactions_per_delivery"}      # shares: stored 0–1, typed and shown as %
WINDOW_DAYS = metrics.DEFAULT_DAYS                      # the Overview's default period: 28 days
TREND_WEEKS = 8
MIN_POINTS = 3


class GoalError(ValueError):
    """A goal is refused: `code` and `params` for the page (i18n `hl.goal.err.<code>`)."""

    def __init__(self, code: str, **params):
        self.code, self.params = code, params
        super().__init__(f"{code}: {params}" if params else code)


def window(last_day: dt.date, tz: str) -> metrics.Period:
    return metrics.Period(last_day - dt.timedelta(days=WINDOW_DAYS - 1), last_day, tz)


def values_at(cur, last_day: dt.date, tz: str) -> dict[str, float | None]:
    """Every goal KPI over the 28 days ending with `last_day` (stocks at that day's end)."""
    period = window(last_day, tz)
    numbers = metrics.period_numbers(cur, period)
    bought = queries.run(cur, "checkup/purchases", **period.params()).iloc[0]
    return {"friends": numbers["friends"], "following": numbers["following"],
            "active_friends": numbers["active_friends"], "block_rate": numbers["block_rate"],
            "reactions_per_delivery": numbers["reactions_per_delivery"], "purchases": int(bought["purchases"])}


def series(cur, last_day: dt.date, tz: str, weeks: int = TREND_WEEKS) -> list[tuple[dt.date, dict]]:
    """The KPIs at the end of each of the last `weeks` weeks and at `last_day`, oldest first."""
    days = [last_day - dt.timedelta(days=7 * k) for k in range(weeks, -1, -1)]
    return [(day, values_at(cur, day, tz)) for day in days]


def fit_line(points: list[tuple[float, float]]) -> tuple[float, float] | None:
    """Least-squares line y = a + b·x through the points; None with fewer than MIN_POINTS or one x."""
    if len(points) < MIN_POINTS:
        return None
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    if sxx == 0:
        return None
    b = sum((x - mx) * (y - my) for x, y in points) / sxx
    return my - b * mx, b


def meets(kpi: str, value: float | None, target: float) -> bool:
    if value is None:
        return False
    return value <= target if KPIS[kpi] else value >= target


@dataclass(frozen=True)
class GoalStatus:
    kpi: str
    target: float
    due_on: dt.date
    baseline: float | None
    set_by: str
    set_at: dt.datetime
    current: float | None
    as_of_day: dt.date
    progress: float | None          # 0–1 (more when beyond the target's side), None without a baseline
    weeks_left: float
    pace_needed: float | None       # change per week still needed (None when reached or overdue)
    trend_per_week: float | None    # the fitted line's slope per week
    forecast: float | None          # the fitted line at the due date
    points: int                     # values the line was fitted to
    state: str                      # reached, on_track, off_track, no_forecast, missed
    history: tuple                  # ((day, value), …) the trend was fitted to

    @property
    def lower_is_better(self) -> bool:
        return KPIS[self.kpi]


def assess(kpi: str, target: float, due_on: dt.date, baseline: float | None, history: list[tuple[dt.date, float | None]],
           *, set_by: str = "", set_at: dt.datetime | None = None) -> GoalStatus:
    """Where one goal stands, from the KPI's weekly history (the last entry is the current value)."""
    as_of_day, current = history[-1]
    known = [(float((day - as_of_day).days), float(v)) for day, v in history if v is not None]
    line = fit_line(known)
    days_left = (due_on - as_of_day).days
    weeks_left = days_left / 7
    trend = None if line is None else line[1] * 7
    forecast = None if line is None else line[0] + line[1] * max(days_left, 0)
    reached = meets(kpi, current, target)
    if reached:
        state = "reached"
    elif days_left <= 0:
        state = "missed"
    elif forecast is None:
        state = "no_forecast"
    else:
        state = "on_track" if meets(kpi, forecast, target) else "off_track"
    pace = None if reached or days_left <= 0 or current is None else (target - current) / weeks_left
    progress = None
    if reached:
        progress = 1.0
    elif baseline is not None and current is not None and target != baseline:
        progress = (current - baseline) / (target - baseline)
    return GoalStatus(kpi, float(target), due_on, baseline, set_by, set_at or dt.datetime.now(dt.timezone.utc),
                      current, as_of_day, progress, weeks_left, pace, trend, forecast, len(known), state,
                      tuple(history))


def listing(cur):
    return queries.run(cur, "checkup/goals_list")


def statuses(cur, *, now: dt.datetime | None = None, tz: str | None = None) -> list[GoalStatus]:
    """Every goal with its progress, pace and forecast, in KPIS order."""
    goals = listing(cur)
    if goals.empty:
        return []
    tz, day = clock.as_of_day(cur, now=now, tz=tz)
    weekly = series(cur, day, tz)
    found = []
    rows = {r.kpi: r for r in goals.itertuples(index=False)}
    for kpi in KPIS:
        r = rows.get(kpi)
        if r is None:
            continue
        history = [(d, values[kpi]) for d, values in weekly]
        baseline = None if r.baseline is None or (isinstance(r.baseline, float) and math.isnan(r.baseline)) else float(r.baseline)
        due = r.due_on.date() if hasattr(r.due_on, "date") else r.due_on
        found.append(assess(kpi, float(r.target), due, baseline, history, set_by=r.set_by,
                            set_at=r.set_at.to_pydatetime() if hasattr(r.set_at, "to_pydatetime") else r.set_at))
    return found


def _check(kpi: str, target, due_on: dt.date, today: dt.date) -> float:
    if kpi not in KPIS:
        raise GoalError("unknown_kpi", kpi=kpi)
    try:
        value = float(target)
    except (TypeError, ValueError):
        raise GoalError("not_a_number") from None
    if not math.isfinite(value) or value < 0:
        raise GoalError("not_a_number")
    if kpi in RATES and value > 1:
        raise GoalError("rate_range")
    if kpi not in RATES and value != int(value):
        raise GoalError("whole_number")
    if not isinstance(due_on, dt.date) or due_on <= today:
        raise GoalError("due_in_past", today=today.isoformat())
    return value


def set_goal(con, user, kpi: str, target, due_on: dt.date, *, now: dt.datetime | None = None) -> GoalStatus | None:
    """Set (or replace) the goal of `kpi`: admins only (checked here, whatever the page showed);
    the KPI's value now becomes the baseline; audited as goal.set with the previous goal."""
    who = roles.require(user, "set_goals")
    cur = con.cursor()
    try:
        tz, day = clock.as_of_day(cur, now=now)
        value = _check(kpi, target, due_on, day)
        baseline = values_at(cur, day, tz)[kpi]
        before = listing(cur)
        previous = before[before["kpi"] == kpi]
        old = None if previous.empty else {"target": float(previous["target"].iloc[0]),
                                           "due_on": str(previous["due_on"].iloc[0])[:10]}
        at = now or dt.datetime.now(dt.timezone.utc)
        with storage.transaction(cur):
            queries.run(cur, "checkup/goal_upsert", kpi=kpi, target=value, due_on=due_on, baseline=baseline,
                        set_by=who.name, set_at=at)
            audit.record(cur, who, "goal.set", kpi, {"target": value, "due_on": due_on.isoformat(),
                                                      "baseline": baseline, "previous": old}, at=at)
        return next((g for g in statuses(cur, now=now) if g.kpi == kpi), None)
    finally:
        cur.close()


def clear_goal(con, user, kpi: str, *, now: dt.datetime | None = None) -> bool:
    """Remove the goal of `kpi` (admins only, audited as goal.clear). False when it had none."""
    who = roles.require(user, "set_goals")
    if kpi not in KPIS:
        raise GoalError("unknown_kpi", kpi=kpi)
    cur = con.cursor()
    try:
        before = listing(cur)
        previous = before[before["kpi"] == kpi]
        if previous.empty:
            return False
        with storage.transaction(cur):
            queries.run(cur, "checkup/goal_delete", kpi=kpi)
            audit.record(cur, who, "goal.clear", kpi, {"target": float(previous["target"].iloc[0]),
                                                        "due_on": str(previous["due_on"].iloc[0])[:10]},
                         at=now or dt.datetime.now(dt.timezone.utc))
        return True
    finally:
        cur.close()
