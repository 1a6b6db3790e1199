"""The demo account is deterministic and shows the seeds' lessons in its numbers."""
from __future__ import annotations

import datetime as dt

import pytest

from dashboard.analytics import demo, metrics
from dashboard.core import storage

END = dt.date(2026, 11, 24)


@pytest.fixture(scope="module")
def big_demo(tmp_path_factory):
    """20,000 friends: enough for the route and timing patterns to be clear, not just noise."""
    path = tmp_path_factory.mktemp("demo20k") / "demo.duckdb"
    demo.build(path, friends=20_000, seed=42, days=180, end=END, tz="Asia/Tokyo", progress=lambda *_: None)
    con = storage.connect(path)
    yield con.cursor()
    con.close()


FINGERPRINT = """
    select count(*), sum(hash(event_id, user_key, type, occurred_at, delivery_id, detail, amount))
    from events
"""


def test_same_seed_builds_the_same_account(tmp_path):
    prints = []
    for name in ("a", "b"):
        path = tmp_path / f"{name}.duckdb"
        demo.build(path, friends=800, seed=5, days=60, end=END, tz="Asia/Tokyo", progress=lambda *_: None)
        con = storage.connect(path)
        prints.append((con.execute(FINGERPRINT).fetchone(),
                       con.execute("select sum(hash(user_id, followed_at, blocked_at, inflow_route)) from friends").fetchone()))
        con.close()
    assert prints[0] == prints[1]
    path = tmp_path / "c.duckdb"
    demo.build(path, friends=800, seed=6, days=60, end=END, tz="Asia/Tokyo", progress=lambda *_: None)
    con = storage.connect(path)
    assert con.execute(FINGERPRINT).fetchone() != prints[0][0]


def test_refuses_a_database_with_friends(demo_db):
    with pytest.raises(demo.DemoError, match="already holds friends"):
        demo.build(demo_db, friends=10, seed=1, days=30, end=END, progress=lambda *_: None)


def test_everything_happens_inside_the_period(big_demo):
    first, last = big_demo.execute("select min(occurred_at), max(occurred_at) from events").fetchone()
    tokyo = metrics.ZoneInfo("Asia/Tokyo")
    assert first >= dt.datetime(2026, 5, 28, tzinfo=tokyo)
    assert last < dt.datetime(2026, 11, 24, tzinfo=tokyo)


def _quality(cur):
    period = metrics.Period.from_dates(dt.date(2026, 5, 28), dt.date(2026, 11, 23))
    return metrics.route_quality(cur, period).set_index("route")


def test_six_routes_of_different_quality(big_demo):
    q = _quality(big_demo)
    assert len(q) >= 6
    # seed 000: coupon takers add and leave; the coupon route has the most adds and the most blocks
    assert q["adds"].idxmax() == "coupon_ad"
    assert q["block_rate_7d"].idxmax() == "coupon_ad"
    assert q.loc["coupon_ad", "block_rate_7d"] > 2 * q["block_rate_7d"].drop("coupon_ad").max()
    # the thanks page brings existing customers who buy again
    assert q["conversion_rate_30d"].idxmax() == "thanks_page"
    assert q["block_rate_30d"].idxmin() == "thanks_page"


def test_adds_peak_on_evenings_and_weekends(big_demo):
    period = metrics.Period.from_dates(dt.date(2026, 5, 28), dt.date(2026, 11, 23))
    grid = metrics.adds_by_weekday_hour(big_demo, period)
    by_hour = grid.groupby("hour")["adds"].sum()
    assert by_hour.idxmax() in (20, 21, 22)
    assert by_hour.loc[20:22].sum() > 3 * by_hour.loc[2:4].sum()
    by_day = grid.groupby("weekday")["adds"].sum()
    assert by_day.loc[[6, 7]].mean() > 1.3 * by_day.loc[[1, 2, 3]].mean()


def test_about_one_percent_of_site_visitors_become_friends(big_demo):
    period = metrics.Period.from_dates(dt.date(2026, 5, 28), dt.date(2026, 11, 23))
    funnel = metrics.funnel(big_demo, period, window_days=30).set_index("route")
    banner = funnel.loc["site_banner"]
    assert 0.007 < banner["adds"] / banner["visits"] < 0.013
    friends = big_demo.execute("select count(*) from friends").fetchone()[0]
    buyers = big_demo.execute("select count(distinct user_key) from events where type = 'purchase'").fetchone()[0]
    assert 0.005 < buyers / friends < 0.03  # seed 003: about 1% of friends convert


def test_frequent_promotions_lower_reactions_and_raise_blocks(big_demo):
    period = metrics.Period.from_dates(dt.date(2026, 5, 28), dt.date(2026, 11, 22))
    rpd = metrics.reactions_per_delivery(big_demo, period)
    rpd = rpd[rpd["recipients"] >= 1000]  # the very first sends reach only a handful of friends
    first, last = rpd.iloc[: len(rpd) // 4], rpd.iloc[-len(rpd) // 4:]
    assert last["reaction_rate"].median() < 0.8 * first["reaction_rate"].median()
    # blocks: a month of weekly sending vs the last month of four sends a week
    weekly = metrics.overview_kpis(big_demo, metrics.Period.from_dates(dt.date(2026, 7, 27), dt.date(2026, 8, 25)))
    frequent = metrics.overview_kpis(big_demo, metrics.Period.from_dates(dt.date(2026, 10, 25), dt.date(2026, 11, 23)))
    assert frequent["kpis"]["block_rate"]["value"] > 1.5 * weekly["kpis"]["block_rate"]["value"]
    # and sending got more frequent: more deliveries in the last quarter of the days than the first
    days = (rpd["sent_at"] - rpd["sent_at"].min()).dt.days
    assert (days > 135).sum() > 2 * (days < 45).sum()


def test_rich_menu_and_survey_answers(big_demo):
    areas = {r[0] for r in big_demo.execute(
        "select distinct detail from events where type = 'richmenu_tap'").fetchall()}
    assert {"料金", "解約方法", "口コミ", "クーポン"} <= areas
    answers = {r[0] for r in big_demo.execute(
        "select distinct value from friend_attributes where key = 'survey_concern'").fetchall()}
    assert {"最近疲れやすい", "肌荒れが気になる"} <= answers


def test_crm_customers_partly_linked(big_demo):
    total, linked = big_demo.execute(
        "select count(*), count(line_user_id) from customers").fetchone()
    assert 0 < linked < total
    assert big_demo.execute("select count(*) from friends where customer_id is not null").fetchone()[0] == linked
