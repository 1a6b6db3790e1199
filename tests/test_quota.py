"""The Overview's quota KPI (issue 19.6): messages left this month and the overage at the current
pace, on a real DuckDB file, checked by hand; and the demo is a Standard-plan account whose month
shows a cost."""
from __future__ import annotations

import datetime as dt

import pytest

from dashboard.analytics import metrics, quota
from dashboard.core import storage

JST = dt.timezone(dt.timedelta(hours=9))


@pytest.fixture
def con(tmp_path):
    c = storage.connect(tmp_path / "quota.duckdb")
    for i, (kind, n, at) in enumerate((("broadcast", 20_000, "2026-06-02 12:00"), ("multicast", 25_000, "2026-06-09 12:00"),
                                       ("test", 3, "2026-06-09 11:00"), ("broadcast", 9_999, "2026-05-31 23:00"))):
        c.execute("insert into deliveries (delivery_id, kind, status, planned_count, sent_count, created_at, sent_at) "
                  "values ($id, $k, 'sent', $n, $n, $at, $at)",
                  {"id": f"d{i}", "k": kind, "n": n, "at": dt.datetime.fromisoformat(at).replace(tzinfo=JST)})
    yield c
    c.close()


def test_left_and_overage_at_the_current_pace(con):
    con.execute("insert into line_quota values ('2026-06-10 09:00+09', 'limited', 100000, 45100)")
    period = metrics.Period.from_dates(dt.date(2026, 5, 13), dt.date(2026, 6, 10), "Asia/Tokyo")
    q = quota.month_status(con.cursor(), period, now=dt.datetime(2026, 6, 10, 0, 0, tzinfo=JST),
                           plan="standard", price=3)
    # ours: 20,000 + 25,000 + 3 (the test send counts against the quota) = 45,003, sent in June
    # before 06-10 00:00 (the May send does not count); LINE says 45,100 (a send from OA Manager): the larger
    assert q["used"] == 45_100 and q["used_by_tests"] == 3
    assert q["limit"] == 100_000 and q["left"] == 54_900
    # 45,100 in 9 days of a 30-day month -> 150,333 by the end; over the limit, so the overage stops
    # at the limit: 100,000 − 30,000 free = 70,000 × ¥3
    assert q["forecast"] == round(45_100 / 9 * 30) and q["limit_reached_forecast"]
    assert q["forecast_overage"] == 70_000 and q["forecast_yen"] == 210_000


def test_without_a_synced_quota_and_on_a_light_plan(con):
    period = metrics.Period.from_dates(dt.date(2026, 6, 1), dt.date(2026, 6, 30), "Asia/Tokyo")
    q = quota.month_status(con.cursor(), period, now=dt.datetime(2026, 7, 5, tzinfo=JST), plan="light", price=3)
    assert q["limit"] is None and q["left"] is None          # never synced: the card says so
    assert q["used"] == 45_003 and q["forecast"] == 45_003  # a whole past month: what was used
    assert q["forecast_yen"] == 0                          # a light plan cannot buy extra messages


def test_demo_is_a_standard_plan_account_with_a_cost(demo_db):
    con = storage.connect(demo_db, read_only=True)
    try:
        kind, value, usage = con.execute("select quota_type, quota_value, total_usage from line_quota").fetchone()
        period = metrics.Period.from_dates(dt.date(2026, 10, 28), dt.date(2026, 11, 23), "Asia/Tokyo")
        q = quota.month_status(con.cursor(), period, now=dt.datetime(2026, 11, 24, tzinfo=JST), plan="standard", price=3)
    finally:
        con.close()
    assert kind == "limited" and value >= 30_000 and value % 10_000 == 0
    assert q["used"] == usage > 0
    # at this pace the month goes beyond the Standard plan's free 30,000: the overage costs yen
    assert q["forecast"] > 30_000 and q["forecast_yen"] == (q["forecast"] - 30_000) * 3
    assert 0 < q["left"] < value
