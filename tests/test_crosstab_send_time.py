"""Issue 15 points 3–4: cross-tab cells equal an independent plain-Python count on the demo, the
Wilson interval, a segment from any cell, and the send-time grid on a journey with known reactions."""
from __future__ import annotations

import datetime as dt
from collections import Counter

import pandas as pd
import pytest

from dashboard.analytics import crosstab, send_time
from dashboard.analytics.metrics import REACTION_TYPES, Period
from dashboard.audience import rules
from dashboard.core import storage
from tests.journeys import Journeys

PERIOD = Period.from_dates(dt.date(2026, 8, 1), dt.date(2026, 10, 31), "Asia/Tokyo")


@pytest.fixture(scope="module")
def demo(demo_db):
    con = storage.connect(demo_db, read_only=True)
    yield con.cursor()
    con.close()


def _friends(cur) -> pd.DataFrame:
    """Friends first added in PERIOD (not sync-only), straight from the base tables."""
    frame = cur.execute("select user_key, followed_at, coalesce(inflow_route, 'unknown') as route, added_by, "
                        "is_following, blocked_at from friends").df()
    frame = frame[(frame["followed_at"] >= PERIOD.start) & (frame["followed_at"] < PERIOD.end)
                  & (frame["added_by"].fillna("") != "sync")]
    interest = dict(cur.execute("select user_key, interest_level from rollup_friend_activity").fetchall())
    frame["interest"] = frame["user_key"].map(interest)
    return frame


def test_blocked_within_30_days_by_route_and_interest_equals_a_plain_count(demo):
    as_of = demo.execute("select as_of from rollup_state where name = 'all'").fetchone()[0]
    friends = _friends(demo)
    blocks: dict[int, list] = {}
    for key, at in demo.execute("select user_key, occurred_at from events where type = 'unfollow'").fetchall():
        blocks.setdefault(key, []).append(at)
    want, hits = Counter(), Counter()
    for row in friends.itertuples():
        if row.followed_at > as_of - dt.timedelta(days=30):
            continue   # not yet 30 days old: cannot be judged
        after = [b for b in blocks.get(row.user_key, []) if b >= row.followed_at]
        if not after and not pd.isna(row.blocked_at):
            after = [row.blocked_at]   # the rollup's fallback: a block known on the friend only
        cell = (row.route, row.interest)
        want[cell] += 1
        hits[cell] += bool(after and min(after) < row.followed_at + dt.timedelta(days=30))
    got = crosstab.cells(demo, PERIOD, rows="route", cols="interest", outcome="blocked_30d")
    assert {(r, c): (n, h) for r, c, n, h in zip(got["row_value"], got["col_value"], got["friends"], got["hits"])} \
        == {cell: (want[cell], hits[cell]) for cell in want}
    assert got["friends"].sum() > 100 and got["hits"].sum() > 0


def test_reacted_in_the_period_by_tag_and_route_equals_a_plain_count(demo):
    friends = _friends(demo).set_index("user_key")
    reacted = {k for k, t, at in demo.execute("select user_key, type, occurred_at from events").fetchall()
               if t in REACTION_TYPES and PERIOD.start <= at < PERIOD.end}
    tags = demo.execute("select user_key, tag from friend_tags where starts_with(tag, 'interest:')").fetchall()
    by_friend: dict[int, list[str]] = {}
    for key, tag in tags:
        by_friend.setdefault(key, []).append(tag[len("interest:"):])
    want = Counter()
    for key, row in friends.iterrows():
        for value in by_friend.get(key, [crosstab.NONE]):
            want[(value, row.route)] += 1
            want[("hit", value, row.route)] += key in reacted
    got = crosstab.cells(demo, PERIOD, rows="tag", cols="route", outcome="reacted", tag_prefix="interest:")
    for r, c, n, h in zip(got["row_value"], got["col_value"], got["friends"], got["hits"]):
        assert (n, h) == (want[(r, c)], want[("hit", r, c)]), (r, c)
    assert sum(got["friends"]) == sum(v for k, v in want.items() if k[0] != "hit")


def test_still_following_by_crm_band_and_add_month(demo):
    friends = _friends(demo)
    got = crosstab.cells(demo, PERIOD, rows="add_month", cols="crm", outcome="following")
    assert got["friends"].sum() == len(friends)    # one CRM band and one month per friend
    assert got["hits"].sum() == int(friends["is_following"].sum())
    months = {pd.Timestamp(t).tz_convert("Asia/Tokyo").strftime("%Y-%m") for t in friends["followed_at"]}
    assert set(got["row_value"]) == months


def test_wilson_interval_and_minimum_count():
    low, high = crosstab.wilson(0, 10)
    assert low == 0 and high == pytest.approx(0.2775, abs=1e-4)
    assert crosstab.wilson(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    assert crosstab.wilson(100, 100)[1] == 1.0


def test_a_segment_can_start_from_any_cell(demo):
    for rows, cols in (("route", "interest"), ("tag", "crm"), ("add_month", "genre"), ("attribute", "route")):
        got = crosstab.cells(demo, PERIOD, rows=rows, cols=cols, outcome="following", tag_prefix="interest:",
                             attr_key="survey_concern")
        for r, c in zip(got["row_value"], got["col_value"]):
            rules.validate(crosstab.cell_rule(rows, r, cols, c, tag_prefix="interest:", attr_key="survey_concern"))


def test_unknown_choices_are_refused(demo):
    with pytest.raises(crosstab.CrosstabError):
        crosstab.cells(demo, PERIOD, rows="route", cols="route", outcome="following")
    with pytest.raises(crosstab.CrosstabError):
        crosstab.cells(demo, PERIOD, rows="route", cols="tag", outcome="following")
    with pytest.raises(crosstab.CrosstabError):
        crosstab.cells(demo, PERIOD, rows="route", cols="interest", outcome="opened")


# ---- when to send ------------------------------------------------------------------------------

@pytest.fixture
def sends(tmp_path):
    j = Journeys(tmp_path / "send_time.duckdb")
    a = j.friend("A", "parcel_qr", "2026-03-01 10:00")
    b = j.friend("B", "parcel_qr", "2026-03-01 11:00")
    c = j.friend("C", "coupon_ad", "2026-03-01 12:00")
    d = j.friend("D", "coupon_ad", "2026-03-01 13:00")
    # Monday 12:00 JST to four: A within 30 min, B at 1 h 59 min, C after 2 h 30 min (too late), D never
    j.delivery("D1", "2026-03-02 12:00", to=["A", "B", "C", "D"], kind="multicast")
    a.click("2026-03-02 12:30", delivery="D1")
    b.postback("2026-03-02 13:59", delivery="D1")
    c.message("2026-03-02 14:30", delivery="D1")
    d.block("2026-03-03 10:00")
    # Monday 12:05 a week later to two: A reacts
    j.delivery("D2", "2026-03-09 12:05", to=["A", "B"], kind="multicast")
    a.click("2026-03-09 12:10", delivery="D2")
    # Wednesday 20:00 broadcast: A, B, C follow (D blocked, E not yet a friend); C reacts
    j.delivery("D3", "2026-03-04 20:00", sent_count=3, kind="broadcast")
    c.message("2026-03-04 20:30", delivery="D3")
    j.friend("E", "parcel_qr", "2026-03-05 09:00")
    j.delivery("T1", "2026-03-03 15:00", to=["A"], kind="test")   # tests never count
    return j


def _cells(frame: pd.DataFrame) -> dict:
    return {(r.weekday, r.hour): (r.deliveries, r.recipients, r.reactors) for r in frame.itertuples()}


def test_the_send_time_grid_counts_known_reactions(sends):
    cur = sends.cursor()
    period = Period.from_dates(dt.date(2026, 3, 1), dt.date(2026, 3, 31), "Asia/Tokyo")
    grid = send_time.grid(cur, period)
    assert _cells(grid) == {(0, 12): (2, 6, 3), (2, 20): (1, 3, 1)}
    assert grid.set_index(["weekday", "hour"]).loc[(0, 12), "rate"] == pytest.approx(0.5)
    parcel = send_time.grid(cur, period, rule={"version": 1, "rule": {"field": "route", "in": ["parcel_qr"]}})
    assert _cells(parcel) == {(0, 12): (2, 4, 3), (2, 20): (1, 2, 0)}


def test_best_windows_say_not_enough_data_when_that_is_true(sends):
    cur = sends.cursor()
    period = Period.from_dates(dt.date(2026, 3, 1), dt.date(2026, 3, 31), "Asia/Tokyo")
    assert send_time.best_windows(send_time.grid(cur, period)).empty   # 6 messages received: too few


def test_best_windows_on_the_demo_rank_by_the_lower_bound(demo):
    grid = send_time.grid(demo, PERIOD)
    best = send_time.best_windows(grid)
    assert not best.empty and list(best["low"]) == sorted(best["low"], reverse=True)
    assert (best["deliveries"] >= send_time.MIN_DELIVERIES).all()
    # every delivery people received at a send time: broadcasts and the demo's scenario steps, not tests
    total = demo.execute("select count(*) from deliveries where status = 'sent' "
                         "and kind not in ('test', 'single', 'reply') "
                         "and sent_at >= $s and sent_at < $e", {"s": PERIOD.start, "e": PERIOD.end}).fetchone()[0]
    assert grid["deliveries"].sum() == total
