"""The numbers the pages and `report` show, each computed by one query in queries/.

Functions take a DuckDB connection or cursor and a Period; they return plain values or pandas
frames. The Overview page and `python -m dashboard report` both call `overview_kpis`, so the two
can never disagree.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pandas as pd

from dashboard.core import config, queries

from dashboard.analytics.rollups import REACTION_TYPES  # noqa: F401 (defined with the rollups, which read it first)

QUERY_NAMES = (
    "overview/friend_counts", "overview/blocks", "overview/active_friends", "overview/messages_sent",
    "engagement/reactions_per_delivery", "engagement/richmenu_taps_daily",
    "engagement/survey_answers", "acquisition/adds_blocks_daily",
    "acquisition/adds_by_weekday_hour", "acquisition/route_quality", "funnel/funnel_by_route",
    "cohorts/retention_weekly", "deliveries/delivery_table", "meta/routes", "meta/data_range",
)
queries.require(*QUERY_NAMES)  # fail at import, not when a page opens
queries.require("rollups/last_refresh", "deliveries/test_sends", "meta/deliveries_version")


@dataclass(frozen=True)
class Period:
    """Whole days [first, last] in the account's time zone, as a half-open [start, end) range."""
    first: dt.date
    last: dt.date
    tz: str = "Asia/Tokyo"

    @classmethod
    def from_dates(cls, first: dt.date, last: dt.date, tz: str | None = None) -> "Period":
        if last < first:
            raise ValueError(f"period ends ({last}) before it starts ({first})")
        return cls(first, last, tz or config.timezone())

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.first, dt.time(), ZoneInfo(self.tz))

    @property
    def end(self) -> dt.datetime:
        return dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time(), ZoneInfo(self.tz))

    def previous(self) -> "Period":
        """The period of the same length just before this one."""
        return Period(self.first - dt.timedelta(days=self.days), self.first - dt.timedelta(days=1), self.tz)

    def month_to_date(self) -> "Period":
        """From the first of the month of `last` to `last`."""
        return Period(self.last.replace(day=1), self.last, self.tz)

    def previous_month_to_date(self) -> "Period":
        """The same days of the previous month (clamped to its length)."""
        first_prev = (self.last.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
        last_day = min(self.last.day, (self.last.replace(day=1) - dt.timedelta(days=1)).day)
        return Period(first_prev, first_prev.replace(day=last_day), self.tz)

    def params(self, routes: list[str] | None = None) -> dict:
        return {"start": self.start, "end": self.end, "routes": list(routes or []),
                "reaction_types": REACTION_TYPES}


def rollups_refreshed_at(cur) -> dt.datetime | None:
    """When the rollups last changed (None before the first refresh): the data's version."""
    return cur.execute(queries.sql("rollups/last_refresh")).fetchone()[0]


def data_version(cur) -> str:
    """Changes with every rollup refresh (a loader round, an import, a send's end) and with every
    change of a delivery's status or counts: part of each cached page question's key."""
    count, fingerprint = cur.execute(queries.sql("meta/deliveries_version")).fetchone()
    return f"{rollups_refreshed_at(cur)}|{count}|{fingerprint}"


def _one(cur, name: str, period: Period, routes, **extra) -> dict:
    frame = queries.run(cur, name, **period.params(routes), **extra)
    return {k: (None if pd.isna(v) else v) for k, v in frame.iloc[0].to_dict().items()}


def _period_numbers(cur, period: Period, routes) -> dict:
    counts = _one(cur, "overview/friend_counts", period, routes)
    blocks = _one(cur, "overview/blocks", period, routes)
    active = _one(cur, "overview/active_friends", period, routes)
    rpd = queries.run(cur, "engagement/reactions_per_delivery", **period.params(routes))
    # who could block in the period; friends sync first saw in it are no adds, but could block
    exposed = counts["following_start"] + counts["new_friends"] + counts["first_seen_by_sync"]
    recipients = int(rpd["recipients"].sum()) if not rpd.empty else 0
    return {
        "friends": int(counts["friends"]),
        "following": int(counts["following_end"]),
        "new_friends": int(counts["new_friends"]),
        "blocks": int(blocks["blocks"]),
        "block_rate": (blocks["blocks"] / exposed) if exposed else None,
        "active_friends": int(active["active_friends"]),
        "active_rate": (active["active_friends"] / counts["following_end"]) if counts["following_end"] else None,
        "reactions_per_delivery": (float(rpd["reactors"].sum()) / recipients) if recipients else None,
        "deliveries": int(len(rpd)),
    }


def period_numbers(cur, period: Period, routes: list[str] | None = None) -> dict:
    """The Overview's numbers of one period, without the comparison (the check-up's goals read
    them, so a goal's current value is the Overview's)."""
    return _period_numbers(cur, period, list(routes or []))


KPI_KEYS = ("friends", "following", "new_friends", "blocks", "block_rate", "active_friends",
            "active_rate", "reactions_per_delivery", "messages_sent_month")


def overview_kpis(cur, period: Period, routes: list[str] | None = None) -> dict:
    """Every Overview KPI for the period and the period before it, plus the change between them.

    Returns {"period": {...}, "previous": {...}, "kpis": {key: {"value", "previous", "change"}}}.
    Messages sent compares month-to-date with the same days of the previous month.
    """
    routes = list(routes or [])
    now = _period_numbers(cur, period, routes)
    prev_period = period.previous()
    before = _period_numbers(cur, prev_period, routes)
    mtd = _one(cur, "overview/messages_sent", period.month_to_date(), routes)
    prev_mtd = _one(cur, "overview/messages_sent", period.previous_month_to_date(), routes)
    now["messages_sent_month"] = int(mtd["messages_sent"])
    before["messages_sent_month"] = int(prev_mtd["messages_sent"])
    kpis = {}
    for key in KPI_KEYS:
        value, previous = now[key], before[key]
        change = None
        if value is not None and previous is not None:
            change = value - previous
        kpis[key] = {"value": value, "previous": previous, "change": change}
    from dashboard.analytics import rollups

    built = rollups.state(cur)
    return {
        "active_days": (built or {}).get("active_days") or config.get_int("DASHBOARD_ACTIVE_DAYS"),
        "period": {"first": period.first.isoformat(), "last": period.last.isoformat(), "tz": period.tz},
        "previous": {"first": prev_period.first.isoformat(), "last": prev_period.last.isoformat()},
        "routes": routes,
        "kpis": kpis,
    }


# ---- page questions -------------------------------------------------------------------------

def reactions_per_delivery(cur, period: Period, routes=None) -> pd.DataFrame:
    return queries.run(cur, "engagement/reactions_per_delivery", **period.params(routes))


def adds_blocks_daily(cur, period: Period, routes=None) -> pd.DataFrame:
    frame = queries.run(cur, "acquisition/adds_blocks_daily", **period.params(routes))
    days = pd.DataFrame({"day": pd.date_range(period.first, period.last, freq="D").date})
    frame["day"] = pd.to_datetime(frame["day"]).dt.date
    return days.merge(frame, on="day", how="left").fillna({"adds": 0, "blocks": 0}).astype(
        {"adds": "int64", "blocks": "int64"})


def adds_by_weekday_hour(cur, period: Period, routes=None) -> pd.DataFrame:
    """A full 7 × 24 grid (missing cells are zero adds)."""
    frame = queries.run(cur, "acquisition/adds_by_weekday_hour", **period.params(routes))
    grid = pd.MultiIndex.from_product([range(1, 8), range(24)], names=["weekday", "hour"])
    return (frame.set_index(["weekday", "hour"])["adds"].reindex(grid, fill_value=0)
            .astype("int64").reset_index())


def route_quality(cur, period: Period, routes=None, as_of: dt.datetime | None = None) -> pd.DataFrame:
    """Route quality of the friends added in the period, observed up to `as_of` (default: the
    latest event, so a 7- or 30-day rate can use days after the period's end, but never days
    that have not happened yet)."""
    if as_of is None:  # what has been seen: never beyond the latest event (nor the period's end, if later)
        _, last = data_range(cur)
        as_of = last if last is not None else period.end
    return queries.run(cur, "acquisition/route_quality", **period.params(routes), as_of=as_of)


def funnel(cur, period: Period, routes=None, window_days: int = 14) -> pd.DataFrame:
    """Funnel per route plus a total row, with step conversion and drop-off."""
    frame = queries.run(cur, "funnel/funnel_by_route", **period.params(routes), window_days=window_days)
    if not frame.empty:
        total = frame[["visits", "adds", "reacted", "converted"]].sum().to_frame().T
        total.insert(0, "route", "__total__")
        frame = pd.concat([frame, total], ignore_index=True)
    for col in ("visits", "adds", "reacted", "converted"):
        frame[col] = frame[col].astype("int64")
    frame["add_rate"] = frame["adds"] / frame["visits"].where(frame["visits"] > 0)
    frame["reaction_rate"] = frame["reacted"] / frame["adds"].where(frame["adds"] > 0)
    frame["conversion_rate"] = frame["converted"] / frame["reacted"].where(frame["reacted"] > 0)
    frame["overall_rate"] = frame["converted"] / frame["adds"].where(frame["adds"] > 0)
    return frame


def retention(cur, period: Period, routes=None) -> pd.DataFrame:
    return queries.run(cur, "cohorts/retention_weekly", **period.params(routes))


def richmenu_taps(cur, period: Period, routes=None) -> pd.DataFrame:
    return queries.run(cur, "engagement/richmenu_taps_daily", **period.params(routes))


def survey_answers(cur, period: Period, routes=None) -> pd.DataFrame:
    return queries.run(cur, "engagement/survey_answers", **period.params(routes))


def deliveries(cur, period: Period, routes=None) -> pd.DataFrame:
    return queries.run(cur, "deliveries/delivery_table", **period.params(routes))


def quota_month(cur, period: Period, routes=None) -> dict:
    """This month's quota: left, and the overage at the current pace (dashboard/analytics/quota.py)."""
    from dashboard.analytics import quota

    return quota.month_status(cur, period)


def test_sends(cur, period: Period, routes=None) -> pd.DataFrame:
    """Test sends in the period, apart from deliveries (routes do not apply: staff, not friends)."""
    return queries.run(cur, "deliveries/test_sends", **period.params())


def routes(cur) -> pd.DataFrame:
    return queries.run(cur, "meta/routes")


DEFAULT_DAYS = 28


def default_last_day(today: dt.date, newest: dt.date | None, days: int = DEFAULT_DAYS) -> dt.date:
    """The sidebar's default period is the last `days` days up to now, today included (a send made
    today shows at once). Only a file whose newest data is older than that whole window (an old
    copy, an archive) ends on its last data day instead, so that it does not open on nothing."""
    if newest is None or newest > today - dt.timedelta(days=days):
        return today
    return newest


def data_range(cur) -> tuple[dt.datetime | None, dt.datetime | None]:
    row = queries.run(cur, "meta/data_range").iloc[0]
    first, last = row["first_event"], row["last_event"]
    return (None if pd.isna(first) else first, None if pd.isna(last) else last)
