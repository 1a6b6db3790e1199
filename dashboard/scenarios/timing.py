"""When a step may land: its timing, the scenario's sending window and the account's quiet hours.

A step is timed either *elapsed* — {"after": {"minutes": 30}} (or hours, days), counted from the
previous step's send (step 0: from the enrolment) — or *day-based* — {"day": 3, "at": "12:00"}:
day 0 is the enrolment's day in the account's time zone. A day-based moment that has already
passed when the step becomes the next one (a late enrolment) slips a day at a time until it is
ahead. Either way the moment then moves to the next *allowed* minute: inside the scenario's window
(e.g. 09:00-21:00) and outside the quiet hours (DASHBOARD_QUIET_HOURS). Nothing lands at 3 a.m.

Everything here is pure (no database, no clock): the runner passes `now`, so tests freeze time.
"""
from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

DAY = 24 * 60
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_UNITS = {"minutes": 1, "hours": 60, "days": DAY}
MAX_AFTER_MINUTES = 365 * DAY
MAX_DAY = 365


class TimingError(ValueError):
    """A timing or window that cannot be used: a text key (`scn.err.<code>`) with parameters;
    str() is the English text (the command line), `code`/`params` let a page say it in Japanese."""

    def __init__(self, code: str, **params):
        from dashboard.core.i18n import t

        self.code, self.params = f"scn.err.{code}", params
        super().__init__(t(self.code, "en", **params))


def minute_of(text: str) -> int:
    """'09:30' -> 570; '24:00' is allowed as the end of a window."""
    if text == "24:00":
        return DAY
    found = _HHMM.match(text or "")
    if not found:
        raise TimingError("time", value=str(text))
    return int(found.group(1)) * 60 + int(found.group(2))


def _span(start: int, end: int) -> list[tuple[int, int]]:
    """Minutes of a day from start to end, wrapping past midnight when end <= start."""
    if start == end:
        return [(0, DAY)]
    return [(start, end)] if start < end else [(0, end), (start, DAY)]


def allowed_intervals(window: str | None, quiet: tuple[int, int] | None) -> list[tuple[int, int]]:
    """The minutes of a day a step may land in: the window ('09:00-21:00'; None = all day) minus
    the quiet hours ((22, 8) = 22:00-08:00; None = none), as sorted [start, end) pairs."""
    if window:
        start, sep, end = window.partition("-")
        if not sep:
            raise TimingError("window_format", value=window)
        allowed = _span(minute_of(start.strip()), minute_of(end.strip()))
    else:
        allowed = [(0, DAY)]
    if quiet is not None:
        for q_start, q_end in _span(quiet[0] * 60 % DAY, quiet[1] * 60 % DAY):
            cut = []
            for a, b in allowed:
                if q_end <= a or q_start >= b:
                    cut.append((a, b))
                    continue
                if a < q_start:
                    cut.append((a, q_start))
                if q_end < b:
                    cut.append((q_end, b))
            allowed = cut
    allowed = sorted((a, b) for a, b in allowed if a < b)
    if not allowed:
        raise TimingError("window_quiet")
    return allowed


def next_allowed(moment: dt.datetime, intervals: list[tuple[int, int]], tz: str) -> dt.datetime:
    """The first allowed instant at or after `moment` (UTC in, UTC out)."""
    zone = ZoneInfo(tz)
    local = moment.astimezone(zone)
    day = local.date()
    for offset in range(3):   # an allowed minute exists every day (allowed_intervals checks)
        midnight = dt.datetime.combine(day + dt.timedelta(days=offset), dt.time(), zone)
        for a, b in intervals:
            start = midnight + dt.timedelta(minutes=a)
            end = midnight + dt.timedelta(minutes=b)
            if local < end:
                return max(local, start).astimezone(dt.timezone.utc)
    raise AssertionError("unreachable: every day has an allowed interval")


def is_allowed(moment: dt.datetime, intervals: list[tuple[int, int]], tz: str) -> bool:
    local = moment.astimezone(ZoneInfo(tz))
    minute = local.hour * 60 + local.minute
    return any(a <= minute < b for a, b in intervals)


def parse_timing(timing) -> dict:
    """Check a step's timing; returns it normalised ({"after_minutes": n} or {"day": d, "at": m})."""
    if not isinstance(timing, dict):
        raise TimingError("timing_shape")
    if set(timing) == {"after"}:
        after = timing["after"]
        if not isinstance(after, dict) or len(after) != 1 or next(iter(after)) not in _UNITS:
            raise TimingError("after_unit")
        unit, value = next(iter(after.items()))
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise TimingError("after_value", unit=unit)
        minutes = value * _UNITS[unit]
        if minutes > MAX_AFTER_MINUTES:
            raise TimingError("after_max")
        return {"after_minutes": minutes}
    if set(timing) == {"day", "at"}:
        day = timing["day"]
        if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= MAX_DAY:
            raise TimingError("day_value", high=MAX_DAY)
        at = minute_of(str(timing["at"]))
        if at >= DAY:
            raise TimingError("at_value")
        return {"day": day, "at": at}
    raise TimingError("timing_shape")


def due(timing: dict, *, enrolled_at: dt.datetime, reference: dt.datetime, intervals, tz: str) -> dt.datetime:
    """When a step becomes due. `reference` is the previous step's send (or the enrolment, or the
    moment a skip or jump made this step the next one); `timing` is parse_timing()'s form."""
    if "after_minutes" in timing:
        moment = reference + dt.timedelta(minutes=timing["after_minutes"])
    else:
        zone = ZoneInfo(tz)
        first_day = enrolled_at.astimezone(zone).date() + dt.timedelta(days=timing["day"])
        moment = dt.datetime.combine(first_day, dt.time(), zone) + dt.timedelta(minutes=timing["at"])
        if moment < reference:   # a late enrolment slips a day (or more) to the same time of day
            skip = int((reference - moment).total_seconds() // 86400)   # whole days behind, then one at a time
            while moment < reference:
                moment = dt.datetime.combine(first_day + dt.timedelta(days=skip), dt.time(), zone) + \
                    dt.timedelta(minutes=timing["at"])
                skip += 1
    return next_allowed(moment.astimezone(dt.timezone.utc), intervals, tz)
