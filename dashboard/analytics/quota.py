"""This month's LINE message quota for the Overview: messages left, and the overage the month will
cost at the current pace.

Definitions (the KPI cards say them in words):
  used       max(LINE's reported consumption this month, our own record of sends this month) —
             LINE's counts sends made outside the dashboard too; ours is exact for what we sent.
  limit      LINE's quota `value` (free messages + the extra cap set in OA Manager); None when LINE
             reports no limit or was never asked (sync the quota on the Data page).
  left       limit − used.
  forecast   used ÷ days elapsed × days in the month (a whole past month: used itself).
  overage    forecast − the plan's free messages (LINE_API_NOTES §3), at the set price per message;
             communication and light plans cannot buy extra messages (¥0, the limit stops them).
"""
from __future__ import annotations

import calendar
import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd

from dashboard.core import config, queries

queries.require("overview/quota_used", "sync/latest_quota")
FREE_MESSAGES = {"communication": 200, "light": 5_000, "standard": 30_000}
NO_EXTRA_MESSAGES = ("communication", "light")


def month_status(cur, period, *, now: dt.datetime | None = None, plan: str | None = None,
                 price: float | None = None) -> dict:
    """The quota of the month that holds the period's last day."""
    tz = ZoneInfo(period.tz)
    plan = plan or config.get("DASHBOARD_PLAN") or "standard"
    price = float(config.get("DASHBOARD_PRICE_PER_EXTRA_MESSAGE") or 0) if price is None else price
    now = (now or dt.datetime.now(dt.timezone.utc)).astimezone(tz)
    first = period.last.replace(day=1)
    days_in_month = calendar.monthrange(first.year, first.month)[1]
    start = dt.datetime.combine(first, dt.time(), tz)
    month_end = start + dt.timedelta(days=days_in_month)
    until = min(now, month_end, dt.datetime.combine(period.last + dt.timedelta(days=1), dt.time(), tz))
    ours = queries.run(cur, "overview/quota_used", start=start, end=until).iloc[0]
    line = queries.run(cur, "sync/latest_quota")
    limit = line_used = None
    checked_at = None
    if not line.empty:
        row = line.iloc[0]
        checked_at = pd.Timestamp(row["checked_at"]).tz_convert(tz).to_pydatetime()
        if row["quota_type"] == "limited" and not pd.isna(row["quota_value"]):
            limit = int(row["quota_value"])
        if start <= checked_at < month_end and not pd.isna(row["total_usage"]):
            line_used = int(row["total_usage"])
    used = max(int(ours["used"]), line_used or 0)
    elapsed_days = max((until - start).total_seconds() / 86400, 1 / 24)
    forecast = used if until >= month_end else round(used / elapsed_days * days_in_month)
    free = FREE_MESSAGES.get(plan, 0)
    overage = max(0, forecast - free) if plan not in NO_EXTRA_MESSAGES else 0
    if limit is not None:
        overage = min(overage, max(0, limit - free))   # LINE stops sending at the limit
    return {"month": first.isoformat(), "plan": plan, "used": used, "used_by_tests": int(ours["used_by_tests"]),
            "limit": limit, "left": None if limit is None else max(0, limit - used), "free": free,
            "forecast": forecast, "forecast_overage": overage, "forecast_yen": overage * price,
            "limit_reached_forecast": limit is not None and forecast > limit, "checked_at": checked_at}
