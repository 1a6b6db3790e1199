"""Query tests on small hand-built journeys (PostHog funnel-test style).

Named friends do dated things in a real DuckDB file; every expected number below is worked out by
hand from the journey, with the reasoning next to it. Times are wall clock in Asia/Tokyo (JST,
UTC+9): an event between 00:00 and 08:59 JST falls on the previous UTC day, so a query that
computes days in UTC puts it on the wrong day. Several questions run through both the connection
and a `cursor()` (what a page thread uses): a cursor once computed days in UTC.
"""
from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from dashboard.analytics import metrics
from dashboard.analytics.metrics import Period
from tests.journeys import Journeys

VIA = ("connection", "cursor")
INJECTION = ["x' or 1=1 --", "'); drop table friends; --"]


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def period(first: str, last: str) -> Period:
    return Period.from_dates(day(first), day(last), "Asia/Tokyo")


def _plain(v):
    if isinstance(v, pd.Timestamp):
        return v.date() if v == v.normalize() and v.tzinfo is None else v
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return None
    if hasattr(v, "item"):  # numpy scalar
        v = v.item()
        return None if isinstance(v, float) and math.isnan(v) else v
    return v


def rows(frame: pd.DataFrame, *cols: str) -> list[tuple]:
    """The frame as plain tuples (dates as date, NaN/NULL as None)."""
    return [tuple(_plain(v) for v in rec) for rec in frame[list(cols)].itertuples(index=False, name=None)]


def approx(*values):
    return tuple(pytest.approx(v) if isinstance(v, float) else v for v in values)


# ------------------------------------------------------------------------------------------------
# The March world: Overview, adds/blocks per day, adds by weekday × hour.
# Period under test: Mon 2026-03-02 … Sun 2026-03-15 → [03-02 00:00 JST, 03-16 00:00 JST).
# Previous period (same 14 days before): 02-16 … 03-01 → [02-16 00:00, 03-02 00:00).
# Month to date: 03-01 … 03-15; the same days of the previous month: 02-01 … 02-15.
# Active window (30 days) at the end 03-16 00:00: a reaction on a JST day 02-14 … 03-15.
#                         at the previous end 03-02 00:00: a reaction on 01-31 … 03-01.
# ------------------------------------------------------------------------------------------------

@pytest.fixture
def march(tmp_path) -> Journeys:
    j = Journeys(tmp_path / "march.duckdb")
    # Yui added in December and blocked a few weeks later; never came back.
    j.friend("Yui", "site_banner", "2025-12-01 10:00").block("2025-12-20 10:00")
    # Sora's last reaction is on 02-13, 31 days before the end 03-16: not active at the end.
    j.friend("Sora", "site_banner", "2026-01-10 10:00").message("2026-02-13 20:00")
    # Ren's last reaction is on 02-14 08:00 JST (= 02-13 23:00 UTC), 30 days before the end: active.
    j.friend("Ren", "site_banner", "2026-01-20 10:00").message("2026-02-14 08:00")
    # Taro reacts to deliveries: D0 on 02-19, D1 on 03-04, D2 on 03-13.
    j.friend("Taro", "site_banner", "2026-02-10 10:00")
    # Hina adds in the previous period, blocks five days later, re-follows on Thu 03-05 and reacts.
    j.friend("Hina", "store_pop", "2026-02-20 12:00").block("2026-02-25 12:00").follow("2026-03-05 18:00")
    # Nao adds 15 minutes into the period: Mon 03-02 00:15 JST = Sun 03-01 15:15 UTC.
    j.friend("Nao", "line_ads", "2026-03-02 00:15")
    # Aoi follows Monday 21:00 via the parcel QR, taps 料金 on Tuesday, buys on Friday, blocks the next
    # Tuesday at 08:30 JST (= Mon 03-09 23:30 UTC).
    (j.friend("Aoi", "parcel_qr", "2026-03-02 21:00").tap("料金", "2026-03-03 12:00")
     .buy("2026-03-06 20:00").block("2026-03-10 08:30"))
    # Kaito adds on the last evening, Sun 03-15 23:30 JST (= 14:30 UTC).
    j.friend("Kaito", "parcel_qr", "2026-03-15 23:30")
    # Riku adds 30 minutes after the period (Mon 03-16 00:30 JST = Sun 03-15 15:30 UTC).
    j.friend("Riku", "parcel_qr", "2026-03-16 00:30")

    # Broadcasts; sent_count = the friends following at that moment.
    j.delivery("D3", "2026-02-05 12:00", sent_count=2)   # Sora, Ren
    j.delivery("D0", "2026-02-19 12:00", sent_count=3)   # Sora, Ren, Taro
    j.delivery("D6", "2026-03-01 09:00", sent_count=3)   # Sora, Ren, Taro (Hina blocked)
    j.delivery("D1", "2026-03-04 12:00", sent_count=5)   # Sora, Ren, Taro, Nao, Aoi (Hina blocked)
    j.delivery("D2", "2026-03-12 19:00", sent_count=5)   # Sora, Ren, Taro, Nao, Hina (Aoi blocked)
    j.delivery("D9", None, sent_count=0, status="draft")  # never sent: counts nowhere
    j["Taro"].message("2026-02-19 15:00", delivery="D0")      # D0 reactor (3 h after)
    j["Taro"].click("2026-03-04 12:10", delivery="D1")        # D1 reactor (10 min after)
    j["Aoi"].click("2026-03-05 12:00", delivery="D1")         # exactly 24 h after D1: not within 24 h
    j["Hina"].message("2026-03-12 19:30", delivery="D2")      # D2 reactor
    j["Taro"].postback("2026-03-13 10:00", delivery="D2")     # D2 reactor (15 h after)
    return j


@pytest.mark.parametrize("via", VIA)
def test_overview_kpis(march, via):
    k = metrics.overview_kpis(march.via(via), period("2026-03-02", "2026-03-15"))["kpis"]
    value = {key: v["value"] for key, v in k.items()}
    previous = {key: v["previous"] for key, v in k.items()}

    # friends = ever added before 03-16: Yui, Sora, Ren, Taro, Hina, Nao, Aoi, Kaito (not Riku) = 8
    assert value["friends"] == 8
    # following at 03-16 00:00: Sora, Ren, Taro, Nao, Kaito + Hina (re-followed 03-05, after her
    # block) = 6; not Yui (blocked), not Aoi (blocked 03-10)
    assert value["following"] == 6
    # first adds in the period: Nao (03-02 00:15), Aoi, Kaito (03-15 23:30); Hina's re-follow is not
    # a new friend = 3
    assert value["new_friends"] == 3
    # unfollow events in the period: Aoi's on 03-10 = 1
    assert value["blocks"] == 1
    # following at the start 03-02 00:00: Sora, Ren, Taro = 3 (Hina was blocked then);
    # block rate = blocks / (following at start + new friends) = 1 / (3 + 3)
    assert value["block_rate"] == pytest.approx(1 / 6)
    # active at 03-16: Ren (02-14, the first day of the window), Taro (03-13), Hina (03-12, following
    # again) = 3; not Sora (02-13 is 31 days before), not Aoi (reacted 03-05 but blocked), not Nao,
    # Kaito (no reaction)
    assert value["active_friends"] == 3
    assert value["active_rate"] == pytest.approx(3 / 6)
    # deliveries sent in the period: D1 (5 reached, reactor Taro; Aoi's click at exactly 24 h does not
    # count) and D2 (5 reached, reactors Hina and Taro) → (1 + 2) / (5 + 5)
    assert value["reactions_per_delivery"] == pytest.approx(3 / 10)
    # month to date 03-01 … 03-15: D6 3 + D1 5 + D2 5 = 13 (the draft D9 counts nowhere)
    assert value["messages_sent_month"] == 13

    # previous period 02-16 … 03-01
    # friends before 03-02 00:00: Yui, Sora, Ren, Taro, Hina = 5 (Nao added 15 min later)
    assert previous["friends"] == 5
    # following at 03-02 00:00: Sora, Ren, Taro = 3 (Hina blocked 02-25 and re-followed only on 03-05)
    assert previous["following"] == 3
    # first adds 02-16 … 03-01: Hina = 1
    assert previous["new_friends"] == 1
    # Hina's block on 02-25 = 1; following at 02-16: Sora, Ren, Taro = 3 → 1 / (3 + 1)
    assert previous["blocks"] == 1
    assert previous["block_rate"] == pytest.approx(0.25)
    # active at 03-02 (reaction on 01-31 … 03-01): Sora (02-13), Ren (02-14), Taro (02-19) = 3 of 3
    assert previous["active_friends"] == 3
    assert previous["active_rate"] == pytest.approx(1.0)
    # D0 (3 reached, Taro reacted) and D6 (3 reached, nobody) → 1 / 6
    assert previous["reactions_per_delivery"] == pytest.approx(1 / 6)
    # the same days of February, 02-01 … 02-15: D3 = 2 (D0 on 02-19 is after the 15th)
    assert previous["messages_sent_month"] == 2

    # change = value - previous
    assert k["friends"]["change"] == 3
    assert k["following"]["change"] == 3
    assert k["active_rate"]["change"] == pytest.approx(0.5 - 1.0)


def test_overview_kpis_route_filter(march):
    k = metrics.overview_kpis(march.cursor(), period("2026-03-02", "2026-03-15"), ["site_banner"])["kpis"]
    value = {key: v["value"] for key, v in k.items()}
    # site_banner friends: Yui, Sora, Ren, Taro = 4; following at the end: Sora, Ren, Taro = 3
    assert (value["friends"], value["following"], value["new_friends"], value["blocks"]) == (4, 3, 0, 0)
    # no blocks over 3 following at the start + 0 new
    assert value["block_rate"] == 0
    # active: Ren, Taro = 2 of 3 following (Sora's last reaction is 31 days before the end)
    assert value["active_friends"] == 2
    assert value["active_rate"] == pytest.approx(2 / 3)
    # broadcasts: site_banner friends following at each send: D1 3, D2 3 (Sora, Ren, Taro);
    # site_banner reactors: Taro on D1 and on D2 → 2 / 6
    assert value["reactions_per_delivery"] == pytest.approx(2 / 6)
    # the message quota is account-wide: not filtered by route
    assert value["messages_sent_month"] == 13

    k = metrics.overview_kpis(march.cursor(), period("2026-03-02", "2026-03-15"),
                              ["parcel_qr", "store_pop"])["kpis"]
    value = {key: v["value"] for key, v in k.items()}
    # Hina, Aoi, Kaito (Riku adds after the end) = 3; following at the end: Hina (re-followed), Kaito
    assert (value["friends"], value["following"], value["new_friends"], value["blocks"]) == (3, 2, 2, 1)
    # following at the start: nobody (Hina blocked, Aoi and Kaito not yet) → 1 / (0 + 2)
    assert value["block_rate"] == pytest.approx(0.5)
    # active: Hina only (Aoi blocked) → 1 of 2
    assert value["active_friends"] == 1
    assert value["active_rate"] == pytest.approx(0.5)
    # D1 reached Aoi (Hina blocked then) and nobody reacted within 24 h; D2 reached Hina (Aoi blocked,
    # Kaito not yet), who reacted → 1 / 2
    assert value["reactions_per_delivery"] == pytest.approx(0.5)
    # previous period: Hina alone: added and blocked → 1 / (0 + 1)
    assert k["block_rate"]["previous"] == pytest.approx(1.0)


@pytest.mark.parametrize("via", VIA)
def test_adds_blocks_daily_in_jst_days(march, via):
    frame = metrics.adds_blocks_daily(march.via(via), period("2026-03-02", "2026-03-15"))
    # one row per day of the period, zeros included
    assert len(frame) == 14
    got = {d: (a, b) for d, a, b in rows(frame, "day", "adds", "blocks") if (a, b) != (0, 0)}
    assert got == {
        # Nao 00:15 JST (= 03-01 15:15 UTC, the UTC day before) and Aoi 21:00
        day("2026-03-02"): (2, 0),
        # Hina's re-follow counts as an add
        day("2026-03-05"): (1, 0),
        # Aoi's block at 08:30 JST = 03-09 23:30 UTC: must land on the JST day 03-10
        day("2026-03-10"): (0, 1),
        # Kaito at 23:30 JST (= 14:30 UTC); Riku on 03-16 00:30 JST is after the period
        day("2026-03-15"): (1, 0),
    }


def test_adds_blocks_daily_route_filter(march):
    frame = metrics.adds_blocks_daily(march.cursor(), period("2026-03-02", "2026-03-15"), ["parcel_qr"])
    got = {d: (a, b) for d, a, b in rows(frame, "day", "adds", "blocks") if (a, b) != (0, 0)}
    # parcel_qr: Aoi adds 03-02 and blocks 03-10, Kaito adds 03-15
    assert got == {day("2026-03-02"): (1, 0), day("2026-03-10"): (0, 1), day("2026-03-15"): (1, 0)}


@pytest.mark.parametrize("via", VIA)
def test_adds_by_weekday_hour_in_jst(march, via):
    frame = metrics.adds_by_weekday_hour(march.via(via), period("2026-03-02", "2026-03-15"))
    assert len(frame) == 7 * 24
    got = {(w, h): n for w, h, n in rows(frame, "weekday", "hour", "adds") if n}
    # first adds only (Hina's re-follow is not one), in JST, ISO weekday (1 = Monday … 7 = Sunday):
    # Nao Mon 00:15 → (1, 0) (in UTC it would be Sunday 15h); Aoi Mon 21:00 → (1, 21);
    # Kaito Sun 23:30 → (7, 23) (in UTC: hour 14)
    assert got == {(1, 0): 1, (1, 21): 1, (7, 23): 1}

    frame = metrics.adds_by_weekday_hour(march.via(via), period("2026-03-02", "2026-03-15"), ["parcel_qr"])
    assert {(w, h): n for w, h, n in rows(frame, "weekday", "hour", "adds") if n} == {(1, 21): 1, (7, 23): 1}


# ------------------------------------------------------------------------------------------------
# Route quality. Adds in 2026-01-05 … 01-18 (end 01-19 00:00 JST).
# ------------------------------------------------------------------------------------------------

@pytest.fixture
def routes_world(tmp_path) -> Journeys:
    j = Journeys(tmp_path / "routes.duckdb")
    j.friend("Aoi", "parcel_qr", "2026-01-05 10:00").block("2026-01-09 10:00")   # blocks on day 4
    (j.friend("Kenta", "parcel_qr", "2026-01-06 10:00").tap("料金", "2026-01-07 10:00")  # reacts day 1
     .buy("2026-01-20 10:00")                                                      # buys on day 14
     .block("2026-01-26 10:00"))                                                   # blocks on day 20
    j.friend("Emi", "parcel_qr", "2026-01-17 10:00").message("2026-01-18 10:00")  # late add, reacts day 1
    # Ren buys the next day without any per-user reaction; messages only on day 32
    j.friend("Ren", "site_banner", "2026-01-05 12:00").buy("2026-01-06 12:00").message("2026-02-06 12:00")
    j.friend("Sho", "site_banner", "2026-01-10 12:00").message("2026-03-01 12:00")  # day 50: the last event
    # Mio (route unknown) blocks 30 minutes after adding and re-follows the next day
    j.friend("Mio", None, "2026-01-12 12:00").block("2026-01-12 12:30").follow("2026-01-13 12:00")
    j.friend("Yui", "site_banner", "2026-01-19 00:30")  # after the period
    return j


def test_route_quality_fully_observed(routes_world):
    frame = metrics.route_quality(routes_world.cursor(), period("2026-01-05", "2026-01-18"))
    # default as_of = the latest event (Sho, 03-01 12:00): every add of the period is 30+ days old
    cols = ("route", "adds", "observed_7d", "observed_30d", "block_rate_7d", "block_rate_30d",
            "reaction_rate_30d", "conversion_rate_30d")
    assert rows(frame, *cols) == [
        # parcel_qr: Aoi, Kenta, Emi. Blocked within 7 d: Aoi (day 4); within 30 d: Aoi, Kenta (day 20).
        # Reacted within 30 d: Kenta, Emi. Bought within 30 d: Kenta (day 14).
        approx("parcel_qr", 3, 3, 3, 1 / 3, 2 / 3, 2 / 3, 1 / 3),
        # site_banner: Ren, Sho. No blocks. No reaction within 30 d (Ren's on day 32, Sho's on day 50).
        # Bought: Ren (day 1; a conversion needs no reaction here).
        approx("site_banner", 2, 2, 2, 0.0, 0.0, 0.0, 0.5),
        # unknown: Mio, blocked after 30 minutes (then re-followed: still a block within 7 days)
        approx("unknown", 1, 1, 1, 1.0, 1.0, 0.0, 0.0),
    ]


def test_route_quality_observation_rule(routes_world):
    cols = ("route", "observed_7d", "observed_30d", "block_rate_7d", "block_rate_30d",
            "reaction_rate_30d", "conversion_rate_30d")
    # as_of 02-10 00:00: observed for 30 days = added by 01-11 00:00: Aoi, Kenta, Ren, Sho (not Mio
    # 01-12, Emi 01-17); observed for 7 days = added by 02-03: all six.
    frame = metrics.route_quality(routes_world.cursor(), period("2026-01-05", "2026-01-18"),
                                  as_of=dt.datetime(2026, 2, 10, tzinfo=dt.timezone(dt.timedelta(hours=9))))
    assert rows(frame, *cols) == [
        # parcel_qr: 7 d: Aoi of 3; 30 d over Aoi, Kenta: both blocked, Kenta reacted and bought
        approx("parcel_qr", 3, 2, 1 / 3, 1.0, 0.5, 0.5),
        # site_banner: Ren, Sho: nobody blocked or reacted within 30 d, Ren bought
        approx("site_banner", 2, 2, 0.0, 0.0, 0.0, 0.5),
        # unknown: Mio observed for 7 days only: the 30-day rates are empty, not 0
        approx("unknown", 1, 0, 1.0, None, None, None),
    ]
    # as_of 01-14 00:00: observed for 7 days = added by 01-07 00:00: Aoi, Kenta (parcel_qr), Ren
    frame = metrics.route_quality(routes_world.cursor(), period("2026-01-05", "2026-01-18"),
                                  as_of=dt.datetime(2026, 1, 14, tzinfo=dt.timezone(dt.timedelta(hours=9))))
    assert rows(frame, "route", "adds", "observed_7d", "observed_30d", "block_rate_7d") == [
        approx("parcel_qr", 3, 2, 0, 0.5),   # Aoi blocked on day 4, Kenta not within 7 days
        approx("site_banner", 2, 1, 0, 0.0),  # Ren
        approx("unknown", 1, 0, 0, None),     # Mio added 01-12: too recent
    ]


def test_route_quality_route_filter(routes_world):
    frame = metrics.route_quality(routes_world.cursor(), period("2026-01-05", "2026-01-18"), ["parcel_qr"])
    assert rows(frame, "route", "adds", "block_rate_7d", "block_rate_30d", "reaction_rate_30d",
                "conversion_rate_30d") == [approx("parcel_qr", 3, 1 / 3, 2 / 3, 2 / 3, 1 / 3)]


def test_route_quality_counts_the_first_block_not_the_latest(tmp_path):
    j = Journeys(tmp_path / "reblock.duckdb")
    # Aoi blocks on day 1, re-follows on day 2 and blocks again on day 46 (blocked_at = day 46)
    (j.friend("Aoi", "parcel_qr", "2026-01-05 10:00").block("2026-01-06 10:00")
     .follow("2026-01-07 10:00").block("2026-02-20 10:00"))
    j.friend("Ren", "parcel_qr", "2026-01-05 11:00")
    frame = metrics.route_quality(j.cursor(), period("2026-01-05", "2026-01-18"))
    # blocked within 7 (and 30) days of adding: Aoi (day 1) of Aoi, Ren → 0.5
    assert rows(frame, "route", "block_rate_7d", "block_rate_30d") == [approx("parcel_qr", 0.5, 0.5)]


# ------------------------------------------------------------------------------------------------
# Funnel. Period 2026-04-06 … 04-19 (end 04-20 00:00 JST).
# ------------------------------------------------------------------------------------------------

@pytest.fixture
def funnel_world(tmp_path) -> Journeys:
    j = Journeys(tmp_path / "funnel.duckdb")
    j.visits("2026-04-05", "site_banner", 999)   # before the period
    j.visits("2026-04-06", "site_banner", 100)
    j.visits("2026-04-13", "site_banner", 50)
    j.visits("2026-04-20", "site_banner", 999)   # after the period
    j.visits("2026-04-10", "parcel_qr", 40)
    j.visits("2026-04-08", "line_ads", 30)       # visits, but nobody added
    # Aoi reacts on day 2, buys on day 6
    j.friend("Aoi", "site_banner", "2026-04-06 10:00").tap("料金", "2026-04-08 10:00").buy("2026-04-12 10:00")
    # Ren reacts on day 9, buys on day 10
    j.friend("Ren", "site_banner", "2026-04-06 12:00").message("2026-04-15 12:00").buy("2026-04-16 12:00")
    # Sora buys without ever reacting: not in the reacted step, so not converted either
    j.friend("Sora", "site_banner", "2026-04-07 12:00").buy("2026-04-09 12:00")
    # Kai reacts on day 1 but buys on 04-21, after the end of the period
    j.friend("Kai", "site_banner", "2026-04-18 10:00").message("2026-04-19 10:00").buy("2026-04-21 10:00")
    # Hina reacts and buys on her first day
    (j.friend("Hina", "parcel_qr", "2026-04-10 10:00").click("2026-04-10 11:00")
     .buy("2026-04-10 12:00"))
    j.friend("Mei", "parcel_qr", "2026-04-11 10:00").block("2026-04-12 10:00")
    # Nao added before the period: not in this funnel
    j.friend("Nao", "site_banner", "2026-04-01 10:00").message("2026-04-07 10:00").buy("2026-04-08 10:00")
    return j


def test_funnel_window_14_days(funnel_world):
    frame = metrics.funnel(funnel_world.cursor(), period("2026-04-06", "2026-04-19"), window_days=14)
    assert rows(frame, "route", "visits", "adds", "reacted", "converted") == [
        # 100 + 50 visits; adds Aoi, Ren, Sora, Kai; reacted Aoi (d2), Ren (d9), Kai (d1);
        # converted Aoi (d6), Ren (d10) — Kai's purchase is after the end, Sora never reacted
        ("site_banner", 150, 4, 3, 2),
        # adds Hina, Mei; Hina reacted and bought
        ("parcel_qr", 40, 2, 1, 1),
        ("line_ads", 30, 0, 0, 0),
        ("__total__", 220, 6, 4, 3),
    ]
    site = frame.iloc[0]
    assert site["add_rate"] == pytest.approx(4 / 150)
    assert site["reaction_rate"] == pytest.approx(3 / 4)
    assert site["conversion_rate"] == pytest.approx(2 / 3)
    assert site["overall_rate"] == pytest.approx(2 / 4)
    assert pd.isna(frame.iloc[2]["reaction_rate"])  # line_ads: no adds, no rate


def test_funnel_window_7_days_and_route_filter(funnel_world):
    frame = metrics.funnel(funnel_world.cursor(), period("2026-04-06", "2026-04-19"), window_days=7)
    assert rows(frame, "route", "adds", "reacted", "converted") == [
        # Ren's first reaction is on day 9: outside a 7-day window → reacted Aoi, Kai; converted Aoi
        ("site_banner", 4, 2, 1),
        ("parcel_qr", 2, 1, 1),
        ("line_ads", 0, 0, 0),
        ("__total__", 6, 3, 2),
    ]
    frame = metrics.funnel(funnel_world.cursor(), period("2026-04-06", "2026-04-19"), ["parcel_qr"],
                           window_days=7)
    assert rows(frame, "route", "visits", "adds", "reacted", "converted") == [
        ("parcel_qr", 40, 2, 1, 1), ("__total__", 40, 2, 1, 1)]


# ------------------------------------------------------------------------------------------------
# Retention by add week. Period Mon 2026-01-05 … Sun 02-01 (end 02-02 00:00 JST).
# ------------------------------------------------------------------------------------------------

@pytest.fixture
def cohort_world(tmp_path) -> Journeys:
    j = Journeys(tmp_path / "cohorts.duckdb")
    j.friend("Yui", "site_banner", "2025-12-29 10:00")                              # before the period
    j.friend("Aoi", "site_banner", "2026-01-05 10:00")                              # stays
    j.friend("Ren", "site_banner", "2026-01-07 10:00").block("2026-01-20 10:00")    # kept 13 days
    # Sora adds Monday 01-12 00:30 JST (= Sunday 01-11 15:30 UTC): the week of 01-12 in JST
    j.friend("Sora", "parcel_qr", "2026-01-12 00:30").block("2026-01-14 00:30")     # kept 2 days
    # Hina blocks after a day and re-follows: still lost (the header says so)
    j.friend("Hina", "parcel_qr", "2026-01-15 10:00").block("2026-01-16 10:00").follow("2026-01-17 10:00")
    j.friend("Kai", "site_banner", "2026-01-30 10:00")                              # too recent
    j.friend("Nao", "site_banner", "2026-02-02 00:30")                              # after the period
    return j


@pytest.mark.parametrize("via", VIA)
def test_retention_complete_weeks_and_blanks(cohort_world, via):
    frame = metrics.retention(cohort_world.via(via), period("2026-01-05", "2026-02-01"))
    got = {(w, n): (size, r) for w, size, n, r in rows(frame, "add_week", "size", "week", "retention")}
    assert len(got) == 3 * 12   # three add weeks × weeks 1–12
    nothing = {None}
    # Week of 01-05: Aoi (kept until the end: 27.6 days = 3 whole weeks) and Ren (13 days = 1 week).
    # Complete while the last add (Ren, 01-07 10:00) + 7w <= 02-02 00:00: w = 1, 2, 3 (w 4 → 02-04).
    w0105 = [got[(day("2026-01-05"), n)] for n in range(1, 13)]
    assert {size for size, _ in w0105} == {2}
    assert [r for _, r in w0105[:3]] == [1.0, 0.5, 0.5]          # both; Aoi; Aoi
    assert {r for _, r in w0105[3:]} == nothing                    # weeks 4–12: not complete, blank
    # Week of 01-12: Sora (2 days) and Hina (1 day; the re-follow does not undo it): 0 of 2 still
    # following. Complete for w = 1, 2 (Hina 01-15 10:00 + 21 days = 02-05 > 02-02).
    w0112 = [got[(day("2026-01-12"), n)] for n in range(1, 13)]
    assert {size for size, _ in w0112} == {2}
    assert [r for _, r in w0112[:2]] == [0.0, 0.0]                # complete and zero, not blank
    assert {r for _, r in w0112[2:]} == nothing
    # Week of 01-26: Kai alone, added 01-30: 01-30 + 7 days > 02-02: every week blank
    assert {got[(day("2026-01-26"), n)] for n in range(1, 13)} == {(1, None)}

    frame = metrics.retention(cohort_world.via(via), period("2026-01-05", "2026-02-01"), ["parcel_qr"])
    # parcel_qr: only the week of 01-12 (Sora, Hina)
    assert {r[0] for r in rows(frame, "add_week")} == {day("2026-01-12")}


def test_retention_counts_the_first_block(tmp_path):
    j = Journeys(tmp_path / "reblock.duckdb")
    # Aoi blocks on day 1, re-follows on day 2 and blocks again on day 23 (blocked_at = day 23)
    (j.friend("Aoi", "site_banner", "2026-01-05 10:00").block("2026-01-06 10:00")
     .follow("2026-01-07 10:00").block("2026-01-28 10:00"))
    j.friend("Ren", "site_banner", "2026-01-05 11:00")
    frame = metrics.retention(j.cursor(), period("2026-01-05", "2026-02-01"))
    # "not blocked within w×7 days of the add (a block later undone by a re-follow still counts as
    # lost)": Aoi is lost from week 1; Ren stays → 1 of 2 for weeks 1–3 (week 4 incomplete)
    assert [r for (r,) in rows(frame.head(4), "retention")] == [0.5, 0.5, 0.5, None]


# ------------------------------------------------------------------------------------------------
# Rich-menu taps and survey answers. Period Mon 2026-03-02 … Sun 03-08 (end 03-09 00:00 JST).
# ------------------------------------------------------------------------------------------------

@pytest.fixture
def menu_world(tmp_path) -> Journeys:
    j = Journeys(tmp_path / "menu.duckdb")
    aoi = j.friend("Aoi", "parcel_qr", "2026-02-01 10:00")
    aoi.tap("料金", "2026-03-03 12:00").tap("料金", "2026-03-03 12:05")  # twice the same day
    aoi.tap("クーポン", "2026-03-03 08:30")   # 08:30 JST = 03-02 23:30 UTC: JST day 03-03
    aoi.postback("2026-03-03 12:10", data="action=other")   # a postback that is not a menu tap
    ren = j.friend("Ren", "site_banner", "2026-02-01 10:00")
    ren.tap("料金", "2026-03-03 20:00").tap("口コミ", "2026-03-08 23:59")
    sora = j.friend("Sora", "site_banner", "2026-02-01 10:00")
    sora.tap("料金", "2026-03-09 00:10")      # after the period (03-08 15:10 UTC: inside if days were UTC)
    sora.tap("解約方法", "2026-03-01 23:50")  # before the period

    aoi.answer("肌荒れが気になる", "2026-03-03 10:00")
    ren.answer("最近疲れやすい", "2026-03-03 10:00").answer("最近疲れやすい", "2026-03-04 10:00")
    ren.answer("睡眠の質を上げたい", "2026-03-05 10:00")
    sora.answer("最近疲れやすい", "2026-03-06 10:00")
    hina = j.friend("Hina", "store_pop", "2026-02-01 10:00")
    hina.answer("最近疲れやすい", "2026-03-01 23:00").answer("体型が気になる", "2026-03-09 08:00")  # both outside
    j.friend("Kai", "parcel_qr", "2026-02-01 10:00").answer(None, "2026-03-07 10:00")  # answer missing → '?'
    return j


@pytest.mark.parametrize("via", VIA)
def test_richmenu_taps(menu_world, via):
    frame = metrics.richmenu_taps(menu_world.via(via), period("2026-03-02", "2026-03-08"))
    assert rows(frame, "day", "area", "taps", "tappers") == [
        (day("2026-03-03"), "クーポン", 1, 1),   # Aoi 08:30 JST
        (day("2026-03-03"), "料金", 3, 2),       # Aoi twice, Ren once: 3 taps by 2 friends
        (day("2026-03-08"), "口コミ", 1, 1),     # Ren at 23:59; Sora's 03-09 00:10 is outside
    ]
    frame = metrics.richmenu_taps(menu_world.via(via), period("2026-03-02", "2026-03-08"), ["site_banner"])
    assert rows(frame, "day", "area", "taps", "tappers") == [
        (day("2026-03-03"), "料金", 1, 1), (day("2026-03-08"), "口コミ", 1, 1)]   # Ren only


def test_survey_answers(menu_world):
    frame = metrics.survey_answers(menu_world.cursor(), period("2026-03-02", "2026-03-08"))
    # respondents in the period: Aoi, Ren, Sora, Kai = 4 (Hina's answers are outside)
    assert rows(frame, "answer", "respondents", "share") == [
        approx("最近疲れやすい", 2, 0.5),        # Ren (twice, counted once), Sora
        approx("?", 1, 0.25),                   # Kai, no answer text
        approx("睡眠の質を上げたい", 1, 0.25),  # Ren also counts here
        approx("肌荒れが気になる", 1, 0.25),    # Aoi
    ]
    frame = metrics.survey_answers(menu_world.cursor(), period("2026-03-02", "2026-03-08"), ["site_banner"])
    # site_banner respondents: Ren, Sora = 2
    assert rows(frame, "answer", "respondents", "share") == [
        approx("最近疲れやすい", 2, 1.0), approx("睡眠の質を上げたい", 1, 0.5)]


# ------------------------------------------------------------------------------------------------
# Deliveries. Period Mon 2026-03-09 … Sun 03-15 (end 03-16 00:00 JST).
# ------------------------------------------------------------------------------------------------

@pytest.fixture
def send_world(tmp_path) -> Journeys:
    j = Journeys(tmp_path / "send.duckdb")
    for name, route in (("Aoi", "parcel_qr"), ("Ren", "site_banner"), ("Sora", "site_banner"),
                        ("Hina", "parcel_qr"), ("Kai", "store_pop")):
        j.friend(name, route, "2026-02-01 10:00")
    j.delivery("D0", "2026-03-08 12:00", sent_count=5)                      # before the period
    j.delivery("D1", "2026-03-10 12:00", sent_count=1200, title="春の新作", is_promotion=True)
    j.stats("D1", "2026-03-10", unique_impressions=15, unique_clicks=None)   # LINE: under 20 on day one
    j.stats("D1", "2026-03-11", unique_impressions=505, unique_clicks=35)   # cumulative: the latest day
    j.delivery("D3", "2026-03-12 10:00", to=["Aoi"], kind="test", title="テスト")
    j.stats("D3", "2026-03-12", unique_impressions=None, unique_clicks=None)
    j.delivery("D2", "2026-03-15 20:00", to=["Aoi", "Sora"], kind="multicast", title="クーポン")  # no stats
    j.delivery("D9", None, sent_count=0, status="draft")

    # D1 (03-10 12:00): reactions until 03-11 12:00, purchases until 03-17 12:00
    j["Aoi"].click("2026-03-10 12:30", delivery="D1").message("2026-03-10 13:00", delivery="D1")
    j["Aoi"].buy("2026-03-15 10:00")                                # D1 converter (day 5)
    j["Ren"].postback("2026-03-11 11:59", delivery="D1")            # 23 h 59 min: a D1 reactor
    j["Ren"].block("2026-03-16 08:00")                              # 12 h after D2, after the period end
    j["Ren"].buy("2026-03-17 12:00")                                # exactly 7 days after D1: not within
    j["Sora"].click("2026-03-11 12:00", delivery="D1")              # exactly 24 h: not a D1 reactor
    j["Sora"].buy("2026-03-12 10:00")                               # bought, but did not react to D1
    j["Sora"].message("2026-03-15 21:00", delivery="D2").buy("2026-03-16 10:00")  # D2 reactor + converter
    j["Hina"].message("2026-03-10 13:00").buy("2026-03-11 10:00")   # a message not attributed to D1
    j["Hina"].block("2026-03-11 12:00")                             # exactly 24 h after D1: not within
    j["Kai"].block("2026-03-11 09:00")                              # 21 h after D1: a block within 24 h
    return j


def test_deliveries(send_world):
    frame = metrics.deliveries(send_world.cursor(), period("2026-03-09", "2026-03-15"))
    cols = ("delivery_id", "recipients", "unique_impressions", "unique_clicks", "imp_under_20",
            "clk_under_20", "has_stats", "reactors_24h", "blocks_24h", "conversions_7d")
    assert rows(frame, *cols) == [   # newest first; D0 (03-08) and the draft D9 are not in the period
        # D2: 2 in the ledger; never synced; Sora reacted (1 h) and bought (14 h); Ren blocked 12 h
        # after (03-16 08:00, after the period end but within D2's 24 h)
        ("D2", 2, None, None, False, False, False, 1, 1, 1),
        # D3 is a test send: listed apart (test_sends), never a delivery
        # D1: LINE's numbers are cumulative: the latest day (03-11) holds the whole delivery's
        # 505 impressions and 35 clicks; day one was under 20, which no longer matters: not flagged.
        # reactors: Aoi (twice, counted once), Ren (23 h 59 min); not Sora (exactly 24 h), not Hina
        # (not attributed). Blocks within 24 h: Kai (21 h); not Hina (exactly 24 h).
        # Conversions: Aoi (day 5); not Ren (exactly 7 days), not Sora (did not react).
        ("D1", 1200, 505, 35, False, False, True, 2, 1, 1),
    ]


def test_test_sends_are_listed_apart(send_world):
    cur = send_world.cursor()
    frame = metrics.test_sends(cur, period("2026-03-09", "2026-03-15"))
    assert rows(frame, "delivery_id", "title", "recipients") == [("D3", "テスト", 1)]
    # and never among the deliveries, their reactions or the messages sent to friends
    assert "D3" not in set(metrics.deliveries(cur, period("2026-03-09", "2026-03-15"))["delivery_id"])
    assert "D3" not in set(metrics.reactions_per_delivery(cur, period("2026-03-09", "2026-03-15"))["delivery_id"])
    sent = metrics.overview_kpis(cur, period("2026-03-09", "2026-03-15"))["kpis"]["messages_sent_month"]["value"]
    assert sent == 5 + 1200 + 2   # D0, D1, D2; not the test D3


def test_deliveries_route_filter(send_world):
    frame = metrics.deliveries(send_world.cursor(), period("2026-03-09", "2026-03-15"), ["site_banner"])
    assert rows(frame, "delivery_id", "recipients", "reactors_24h", "blocks_24h", "conversions_7d") == [
        ("D2", 2, 1, 1, 1),      # Sora reacted and bought; Ren (site_banner) blocked within 24 h
        ("D1", 1200, 1, 0, 0),   # Ren reacted but did not buy within 7 days; Kai (store_pop) not counted
    ]
    frame = metrics.deliveries(send_world.cursor(), period("2026-03-09", "2026-03-15"), ["parcel_qr"])
    assert rows(frame, "delivery_id", "reactors_24h", "blocks_24h", "conversions_7d") == [
        ("D2", 0, 0, 0),         # Sora is site_banner
        ("D1", 1, 0, 1),         # Aoi reacted and bought; Hina's block is exactly 24 h after
    ]


def test_reactions_per_delivery(send_world):
    frame = metrics.reactions_per_delivery(send_world.cursor(), period("2026-03-09", "2026-03-15"))
    assert rows(frame, "delivery_id", "recipients", "reactors", "reaction_rate") == [   # oldest first
        approx("D1", 1200, 2, 2 / 1200),   # Aoi, Ren (the test send D3 is not a delivery)
        approx("D2", 2, 1, 0.5),           # Sora
    ]
    frame = metrics.reactions_per_delivery(send_world.cursor(), period("2026-03-09", "2026-03-15"),
                                           ["site_banner"])
    # the broadcast D1 with a route filter: site_banner friends following at 03-10 12:00 = Ren, Sora
    # (an estimate: LINE does not say who a broadcast reached); reactor Ren → 1 / 2
    assert rows(frame.head(1), "delivery_id", "recipients", "reactors", "reaction_rate") == [
        approx("D1", 2, 1, 0.5)]


def test_reactions_per_delivery_route_filter_uses_the_send_ledger(send_world):
    frame = metrics.reactions_per_delivery(send_world.cursor(), period("2026-03-09", "2026-03-15"),
                                           ["site_banner"])
    assert rows(frame, "delivery_id", "recipients", "reactors", "reaction_rate") == [
        approx("D1", 2, 1, 0.5),      # broadcast: no ledger, the estimate (Ren, Sora following)
        approx("D2", 1, 1, 1.0),      # multicast to Aoi, Sora: one site_banner recipient, who reacted
    ]


# ------------------------------------------------------------------------------------------------
# Route values are data, never SQL.
# ------------------------------------------------------------------------------------------------

def test_injection_like_route_matches_nothing(march):
    cur = march.cursor()
    p = period("2026-03-02", "2026-03-15")
    k = metrics.overview_kpis(cur, p, INJECTION)["kpis"]
    assert {key: k[key]["value"] for key in ("friends", "following", "new_friends", "blocks",
                                             "active_friends")} == dict.fromkeys(
        ("friends", "following", "new_friends", "blocks", "active_friends"), 0)
    # no one exposed, no one following, no recipient in the route: rates are empty, not errors
    assert (k["block_rate"]["value"], k["active_rate"]["value"], k["reactions_per_delivery"]["value"]) == (
        None, None, None)
    assert metrics.adds_blocks_daily(cur, p, INJECTION)[["adds", "blocks"]].to_numpy().sum() == 0
    assert metrics.adds_by_weekday_hour(cur, p, INJECTION)["adds"].sum() == 0
    assert metrics.route_quality(cur, p, INJECTION).empty
    assert metrics.funnel(cur, p, INJECTION).empty
    assert metrics.retention(cur, p, INJECTION).empty
    assert metrics.richmenu_taps(cur, p, INJECTION).empty
    assert metrics.survey_answers(cur, p, INJECTION).empty
    d = metrics.deliveries(cur, p, INJECTION)
    assert list(d["delivery_id"]) == ["D2", "D1"] and d[["reactors_24h", "blocks_24h"]].to_numpy().sum() == 0
    assert metrics.reactions_per_delivery(cur, p, INJECTION)["recipients"].sum() == 0
    # and nothing was dropped or changed
    assert cur.execute("select count(*) from friends").fetchone()[0] == 9


def test_cohort_sizes_are_whole_numbers_in_the_grid_labels(cohort_world):
    """The Cohorts page once labelled add weeks "2026-06-01 (1,118.0)": sizes came back as floats."""
    from dashboard.web import charts

    frame = metrics.retention(cohort_world.via("connection"), period("2026-01-05", "2026-02-01"))
    assert str(frame["size"].dtype).startswith(("int", "Int", "uint"))
    labels = list(charts.retention_grid(frame, "ja").data[0].y)
    assert labels == ["2026-01-05 (2)", "2026-01-12 (2)", "2026-01-26 (1)"]
