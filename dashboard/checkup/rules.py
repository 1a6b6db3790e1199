"""The check-up's rules: the failure patterns of the articles behind the product, each a question in
queries/checkup/ with its thresholds from settings (dashboard/core/config.py, DASHBOARD_ALERT_*).

`evaluate(cur, as_of)` only reads: it returns a Finding per thing a rule sees — its rule, what it is
about (a route, an area, a delivery, or '' for the account), the evidence (plain numbers, JSON-safe),
the page that shows those numbers, and how urgent it is. The page, the report and alerts.py render
or store them; texts are `hl.rule.<rule>.*` in dashboard/core/texts_health.py.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import pandas as pd

from dashboard.analytics import metrics, quota
from dashboard.core import config, queries

queries.require("checkup/promotion_share", "checkup/reactions_falling", "checkup/block_spike",
                "checkup/route_blocks", "checkup/silent_friends", "checkup/heavy_receivers",
                "checkup/menu_area", "checkup/quarantined_recent")

# Windows stated in each rule's words (hl.rule.<rule>.rule); thresholds are settings.
PROMOTION_DAYS = 30
SPIKE_RECENT_DAYS = 7
SPIKE_BASELINE_DAYS = 90
ROUTE_ADD_DAYS = 30
MENU_DAYS = 30
MENU_KNOWN_DAYS = 90
QUARANTINE_DAYS = 7

# rule -> (the page that shows its numbers, urgency: 1 = act today, 2 = this week, 3 = when you can)
RULES: dict[str, tuple[str, int]] = {
    "quota_runout": ("overview", 1),
    "loader": ("data", 1),
    "block_spike": ("deliveries", 1),
    "route_blocks": ("acquisition", 2),
    "promotion_share": ("deliveries", 2),
    "heavy_receivers": ("deliveries", 2),
    "reactions_falling": ("engagement", 2),
    "silent_friends": ("overview", 3),   # issue 14.8: new friends left without a message, on the Overview
    "menu_area": ("engagement", 3),
}


@dataclass(frozen=True)
class Finding:
    rule: str
    subject: str
    evidence: dict = field(hash=False)

    @property
    def page(self) -> str:
        return RULES[self.rule][0]

    @property
    def urgency(self) -> int:
        return RULES[self.rule][1]


def _float(name: str) -> float:
    value = config.get(name)
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"setting {name} must be a number, got {value!r}") from None
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"setting {name} must be a number ≥ 0, got {value!r}")
    return number


def thresholds() -> dict:
    """Every rule's thresholds, read from settings now (a changed setting applies at the next check)."""
    return {
        "promotion_share": _float("DASHBOARD_ALERT_PROMOTION_SHARE") / 100,
        "falling_deliveries": max(1, config.get_int("DASHBOARD_ALERT_FALLING_DELIVERIES")),
        "spike_factor": _float("DASHBOARD_ALERT_BLOCK_SPIKE_FACTOR"),
        "spike_min_blocks": max(1, config.get_int("DASHBOARD_ALERT_BLOCK_SPIKE_MIN")),
        "route_factor": _float("DASHBOARD_ALERT_ROUTE_BLOCK_FACTOR"),
        "route_min_adds": max(1, config.get_int("DASHBOARD_ALERT_ROUTE_MIN_ADDS")),
        "silent_days": max(1, config.get_int("DASHBOARD_ALERT_SILENT_DAYS")),
        "weekly_messages": max(0, config.get_int("DASHBOARD_ALERT_WEEKLY_MESSAGES")),
        "menu_share": _float("DASHBOARD_ALERT_MENU_AREA_SHARE") / 100,
        "loader_lag_minutes": _float("DASHBOARD_ALERT_LOADER_LAG_MINUTES"),
    }


def _plain(value):
    """A JSON-safe plain value: numbers stay numbers, times become ISO text, NaN becomes None."""
    if value is None:
        return None
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        return None if pd.isna(value) else pd.Timestamp(value).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "item"):   # numpy scalars
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _rows(frame: pd.DataFrame) -> list[dict]:
    return [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict("records")]


# ---- the rules ----------------------------------------------------------------------------------

def promotion_share(cur, as_of: dt.datetime, th: dict) -> list[Finding]:
    rows = _rows(queries.run(cur, "checkup/promotion_share", as_of=as_of, days=PROMOTION_DAYS,
                             share=th["promotion_share"]))
    return [Finding("promotion_share", "", {**r, "days": PROMOTION_DAYS, "threshold": th["promotion_share"]})
            for r in rows]


def reactions_falling(cur, as_of: dt.datetime, th: dict) -> list[Finding]:
    n = th["falling_deliveries"]
    rows = _rows(queries.run(cur, "checkup/reactions_falling", as_of=as_of, n=n))
    if not rows or not all(r["fires"] for r in rows):
        return []
    series = [{k: r[k] for k in ("delivery_id", "title", "sent_at", "recipients", "reactors", "reaction_rate")}
              for r in rows]
    return [Finding("reactions_falling", "", {"n": n, "deliveries": series, "first_rate": series[0]["reaction_rate"],
                                              "last_rate": series[-1]["reaction_rate"]})]


def block_spike(cur, as_of: dt.datetime, th: dict) -> list[Finding]:
    rows = _rows(queries.run(cur, "checkup/block_spike", as_of=as_of, recent_days=SPIKE_RECENT_DAYS,
                             baseline_days=SPIKE_BASELINE_DAYS, factor=th["spike_factor"],
                             min_blocks=th["spike_min_blocks"]))
    return [Finding("block_spike", r["delivery_id"], {**r, "factor": th["spike_factor"],
                                                      "baseline_days": SPIKE_BASELINE_DAYS}) for r in rows]


def route_blocks(cur, as_of: dt.datetime, th: dict) -> list[Finding]:
    rows = _rows(queries.run(cur, "checkup/route_blocks", as_of=as_of, days=ROUTE_ADD_DAYS,
                             factor=th["route_factor"], min_adds=th["route_min_adds"]))
    return [Finding("route_blocks", r["route"], {**r, "factor": th["route_factor"], "days": ROUTE_ADD_DAYS})
            for r in rows]


def silent_friends(cur, as_of: dt.datetime, th: dict) -> list[Finding]:
    rows = _rows(queries.run(cur, "checkup/silent_friends", as_of=as_of, days=th["silent_days"]))
    return [Finding("silent_friends", "", {**r, "days": th["silent_days"]}) for r in rows]


def heavy_receivers(cur, as_of: dt.datetime, th: dict) -> list[Finding]:
    rows = _rows(queries.run(cur, "checkup/heavy_receivers", as_of=as_of, n=th["weekly_messages"]))
    return [Finding("heavy_receivers", "", {**r, "n": th["weekly_messages"]}) for r in rows]


def menu_area(cur, as_of: dt.datetime, th: dict) -> list[Finding]:
    rows = _rows(queries.run(cur, "checkup/menu_area", as_of=as_of, days=MENU_DAYS, known_days=MENU_KNOWN_DAYS,
                             share=th["menu_share"]))
    return [Finding("menu_area", r["area"], {**r, "days": MENU_DAYS, "threshold": th["menu_share"]}) for r in rows]


def quota_runout(cur, as_of: dt.datetime, th: dict) -> list[Finding]:
    """The month's messages at the current pace (analytics/quota.py, the Overview's numbers): the
    limit LINE stops at, or the free messages after which each one costs yen, reached before month end."""
    tz = config.timezone()
    day = (as_of - dt.timedelta(microseconds=1)).astimezone(ZoneInfo(tz)).date()   # a midnight ends the day before
    q = quota.month_status(cur, metrics.Period(day.replace(day=1), day, tz), now=as_of)
    month_start = dt.datetime.combine(day.replace(day=1), dt.time(), ZoneInfo(tz))
    elapsed = max((as_of - month_start).total_seconds() / 86400, 1 / 24)
    pace = q["used"] / elapsed
    found = []
    for subject, allowance in (("limit", q["limit"]), ("free", q["free"] if q["plan"] not in quota.NO_EXTRA_MESSAGES else None)):
        if allowance is None or q["forecast"] <= allowance or pace <= 0:
            continue
        if subject == "free" and q["limit"] is not None and q["forecast"] > q["limit"]:
            continue   # the limit's finding says it all (it includes the overage up to the limit)
        runs_out = month_start + dt.timedelta(days=allowance / pace)
        found.append(Finding("quota_runout", subject, {"already": q["used"] >= allowance,
            "used": q["used"], "forecast": q["forecast"], "allowance": allowance, "limit": q["limit"],
            "free": q["free"], "plan": q["plan"], "overage": q["forecast_overage"], "yen": q["forecast_yen"],
            "runs_out_on": runs_out.astimezone(ZoneInfo(tz)).date().isoformat(), "month": q["month"]}))
    return found


def loader_state(cur, as_of: dt.datetime, th: dict, *, now: dt.datetime | None = None) -> list[Finding]:
    """The loader behind (unloaded spool waiting longer than the setting), or events quarantined in
    the last days: both measured against the clock, not the data's instant."""
    from dashboard.intake import data_status

    now = now or dt.datetime.now(dt.timezone.utc)
    found = []
    state = data_status.spool_state(cur)
    lag = state.lag_seconds(now)
    if state.bytes_behind and lag > th["loader_lag_minutes"] * 60:
        found.append(Finding("loader", "behind", {"bytes_behind": state.bytes_behind, "lag_minutes": lag / 60,
                                                  "threshold_minutes": th["loader_lag_minutes"],
                                                  "last_load": _plain(state.last_load)}))
    for r in _rows(queries.run(cur, "checkup/quarantined_recent", as_of=now, days=QUARANTINE_DAYS)):
        found.append(Finding("loader", "quarantine", {**r, "days": QUARANTINE_DAYS}))
    return found


CHECKS = (quota_runout, loader_state, block_spike, route_blocks, promotion_share, heavy_receivers,
          reactions_falling, silent_friends, menu_area)


def evaluate(cur, as_of: dt.datetime, *, now: dt.datetime | None = None) -> list[Finding]:
    """Every rule once, most urgent first. Reads only."""
    th = thresholds()
    found: list[Finding] = []
    for check in CHECKS:
        found += check(cur, as_of, th, now=now) if check is loader_state else check(cur, as_of, th)
    return sorted(found, key=lambda x: (x.urgency, list(RULES).index(x.rule), x.subject))
