"""Step timing against plain reference models (hypothesis): the next allowed minute found by
walking minute by minute, and an enrolment's whole timeline stepped through naively."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import given, settings, strategies as st

from dashboard.scenarios import timing

TZ = "Asia/Tokyo"
ZONE = ZoneInfo(TZ)
BASE = dt.datetime(2026, 12, 1, tzinfo=ZONE)

hhmm = st.integers(0, 23 * 60 + 59).map(lambda m: f"{m // 60:02d}:{m % 60:02d}")
windows = st.one_of(st.none(), st.tuples(hhmm, hhmm).map(lambda p: f"{p[0]}-{p[1]}"))
quiet = st.one_of(st.none(), st.tuples(st.integers(0, 23), st.integers(0, 23)).filter(lambda q: q[0] != q[1]))
moments = st.integers(0, 6 * 24 * 60).map(lambda m: (BASE + dt.timedelta(minutes=m)).astimezone(dt.timezone.utc))


def allowed_minute(local: dt.datetime, window, quiet_hours) -> bool:
    """Plainly: is this local minute inside the window and outside the quiet hours?"""
    minute = local.hour * 60 + local.minute
    if window:
        start, end = (timing.minute_of(x) for x in window.split("-"))
        if start != end and not (start <= minute < end if start < end else minute >= start or minute < end):
            return False
    if quiet_hours:
        q_start, q_end = quiet_hours
        hour = local.hour
        if q_start <= hour < q_end if q_start < q_end else hour >= q_start or hour < q_end:
            return False
    return True


def walk(moment: dt.datetime, window, quiet_hours) -> dt.datetime:
    local = moment.astimezone(ZONE)
    if allowed_minute(local, window, quiet_hours):
        return moment
    local = local.replace(second=0, microsecond=0)
    for _ in range(3 * 24 * 60):
        local += dt.timedelta(minutes=1)
        if allowed_minute(local, window, quiet_hours):
            return local.astimezone(dt.timezone.utc)
    raise AssertionError("no allowed minute")


@settings(max_examples=300, deadline=None)
@given(moments, windows, quiet)
def test_next_allowed_is_the_first_allowed_minute(moment, window, quiet_hours):
    try:
        intervals = timing.allowed_intervals(window, quiet_hours)
    except timing.TimingError:   # the window lies in the quiet hours: the walk finds nothing either
        local = BASE
        assert not any(allowed_minute(local + dt.timedelta(minutes=m), window, quiet_hours) for m in range(24 * 60))
        return
    got = timing.next_allowed(moment, intervals, TZ)
    assert got == walk(moment, window, quiet_hours)
    assert timing.is_allowed(got, intervals, TZ)


step_timings = st.one_of(
    st.builds(lambda n, unit: {"after": {unit: n}}, st.integers(0, 90), st.sampled_from(["minutes", "hours"])),
    st.builds(lambda d, at: {"day": d, "at": at}, st.integers(0, 6), hhmm))


@settings(max_examples=200, deadline=None)
@given(moments, windows, quiet, st.lists(step_timings, min_size=1, max_size=5))
def test_an_enrolments_timeline_matches_a_naive_model(enrolled, window, quiet_hours, steps):
    """Each step sent when due: elapsed ones count from the previous send; day-based ones are day
    N at HH:MM of the enrolment's day, a day later each time that moment has already passed; then
    the first allowed minute. Every send lands in an allowed minute, in order."""
    try:
        intervals = timing.allowed_intervals(window, quiet_hours)
    except timing.TimingError:
        return
    reference = enrolled
    for raw in steps:
        got = timing.due(timing.parse_timing(raw), enrolled_at=enrolled, reference=reference, intervals=intervals, tz=TZ)
        if "after" in raw:
            unit, n = next(iter(raw["after"].items()))
            naive = reference + dt.timedelta(minutes=n * (60 if unit == "hours" else 1))
        else:
            hour, minute = (int(x) for x in raw["at"].split(":"))
            day = enrolled.astimezone(ZONE).date() + dt.timedelta(days=raw["day"])
            naive = dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZONE)
            while naive < reference:
                naive += dt.timedelta(days=1)
        assert got == walk(naive.astimezone(dt.timezone.utc), window, quiet_hours)
        assert got >= reference and timing.is_allowed(got, intervals, TZ)
        reference = got


# ---- an enrolment's path through conditions, skips and jumps, against a plain model ----------------

def _steps_strategy():
    def build(draw_list):
        return draw_list
    action = st.sampled_from(["send", "skip", "jump"])
    step = st.tuples(st.sampled_from([0, 30, 120]), st.one_of(st.none(), st.tuples(action, action)))
    return st.lists(step, min_size=1, max_size=5)


def _action(kind, here, n):
    if kind == "jump":
        return {"jump": here + 2} if here + 2 < n else "skip"   # forward only, as the file format requires
    return kind


def reference_path(steps, vip: bool, start: dt.datetime) -> list[tuple[int, dt.datetime]]:
    """Plainly: walk the steps; a due step's condition picks send, skip or jump; the next step's
    elapsed time counts from that moment."""
    sent, i, moment = [], 0, start + dt.timedelta(minutes=steps[0][0])
    n = len(steps)
    while i < n:
        condition = steps[i][1]
        action = "send" if condition is None else _action(condition[0] if vip else condition[1], i, n)
        if action == "send":
            sent.append((i, moment))
        target = action["jump"] if isinstance(action, dict) else i + 1
        if target >= n:
            break
        moment = moment + dt.timedelta(minutes=steps[target][0])
        i = target
    return sent


@settings(max_examples=25, deadline=None)
@given(_steps_strategy(), st.booleans())
def test_an_enrolments_path_matches_a_plain_model(steps, vip):
    import os
    import tempfile
    from pathlib import Path

    from dashboard.scenarios import runner, store
    from tests.journeys import Journeys

    os.environ["DASHBOARD_QUIET_HOURS"] = "off"
    os.environ["DASHBOARD_FREQUENCY_CAP"] = "0"
    try:
        n = len(steps)
        rule = {"version": 1, "rule": {"field": "tags", "match": "any", "tags": ["vip"]}}
        doc = {"version": 1, "name": "model", "trigger": {"type": "follow"}, "window": None,
               "steps": [{"timing": {"after": {"minutes": after}}, "messages": [{"type": "text", "text": f"s{k}"}],
                          **({"condition": {"rule": rule, "met": _action(c[0], k, n), "otherwise": _action(c[1], k, n)}}
                             if c else {})} for k, (after, c) in enumerate(steps)]}
        with tempfile.TemporaryDirectory() as tmp:
            j = Journeys(Path(tmp) / "m.duckdb")
            start = dt.datetime(2026, 12, 1, 10, 0, tzinfo=ZONE)
            store.save(j.con, doc, "t", now=start - dt.timedelta(hours=1))
            store.set_status(j.con, "model", "active", "t", now=start - dt.timedelta(hours=1))
            friend = j.friend("Aoi", None, start).follow(start)
            if vip:
                j.con.execute("insert into friend_tags values (1, $u, 'vip', $t, 'manual')",
                              {"u": friend.user_id, "t": start - dt.timedelta(days=1)})
            runner.tick(j.con, now=start)
            for _ in range(2 * n + 2):   # tick at each moment the enrolment says it is due
                row = j.con.execute("select next_due_at from scenario_enrolments where status = 'active'").fetchone()
                if row is None or row[0] is None:
                    break
                runner.tick(j.con, now=row[0])
            got = [(int(no), at) for no, at in j.con.execute(
                "select s.step_no, d.created_at from scenario_deliveries s join deliveries d using (delivery_id) "
                "order by d.created_at").fetchall()]
            got_steps = [no for no, _ in got]
            planned_at = [r[0] for r in j.con.execute("select planned_at from scenario_deliveries order by planned_at").fetchall()]
            j.con.close()
        want = reference_path(steps, vip, start)
        assert got_steps == [i for i, _ in want]
        assert [p.astimezone(dt.timezone.utc) for p in planned_at] == [m.astimezone(dt.timezone.utc) for _, m in want]
    finally:
        os.environ.pop("DASHBOARD_QUIET_HOURS", None)
        os.environ.pop("DASHBOARD_FREQUENCY_CAP", None)
