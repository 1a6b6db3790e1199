"""An account older than the dashboard, first run: sync lists friends we have never seen (the
sandbox seeded with existing followers), who then write, block and unblock through the webhook.
They stay added_by 'sync', are never new friends in any period, and the Overview puts LINE's own
figures beside ours with the difference in words."""
from __future__ import annotations

import datetime as dt
import json
import uuid
from zoneinfo import ZoneInfo

import pytest

from dashboard.intake import loader, sync
from dashboard.line import api
from dashboard.analytics import line_figures, metrics
from dashboard.core import storage
from dashboard.core.i18n import t
from dashboard.analytics.metrics import Period

TZ = "Asia/Tokyo"
EXISTING = [f"U{uuid.UUID(int=i).hex}" for i in range(1, 11)]        # LINE lists them
BLOCKED = [f"U{uuid.UUID(int=i).hex}" for i in range(100, 103)]      # LINE counts them, never lists them
NEWCOMER = "U" + "e" * 32                                            # follows after the dashboard started


def _event(kind: str, user: str, ms: int, **extra) -> dict:
    return {"type": kind, "mode": "active", "timestamp": ms, "webhookEventId": uuid.uuid4().hex.upper()[:26],
            "source": {"type": "user", "userId": user}, "deliveryContext": {"isRedelivery": False}, **extra}


@pytest.fixture
def account(tmp_path, sandbox):
    con = storage.connect(tmp_path / "existing.duckdb")
    sandbox.configure(followers=EXISTING, blocked=BLOCKED)
    clients = api.clients(sandbox.url, "token")
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    results = {r.part: r for r in sync.run(con, ["followers", "insight_followers"], now=now, clients=clients)}
    clients.close()
    assert results["followers"].status == "ok" and results["insight_followers"].status == "ok"
    # then the webhook: an existing friend writes, one blocks, one blocks and unblocks, a new one adds
    ms = int(now.timestamp() * 1000) + 60_000
    events = [_event("message", EXISTING[0], ms, message={"type": "text", "id": "1", "text": "こんにちは"}),
              _event("unfollow", EXISTING[1], ms + 1_000),
              _event("unfollow", EXISTING[2], ms + 2_000),
              _event("follow", EXISTING[2], ms + 3_000, follow={"isUnblocked": True}),
              _event("follow", NEWCOMER, ms + 4_000, follow={"isUnblocked": False})]
    spool = tmp_path / "spool"
    spool.mkdir()
    hour = dt.datetime.fromtimestamp(ms / 1000, dt.timezone.utc)
    (spool / f"{hour:%Y%m%d-%H}.jsonl").write_text(json.dumps(
        {"kind": "webhook", "received_at": hour.isoformat(),
         "body": json.dumps({"destination": "Ubot", "events": events})}) + "\n")
    loader.load_all(con, spool)
    yield con
    con.close()


def test_friends_known_only_from_sync_keep_their_origin_and_state(account):
    rows = dict(((u, (a, f)) for u, a, f in account.execute(
        "select user_id, added_by, is_following from friends").fetchall()))
    assert {u for u, (a, _) in rows.items() if a == "sync"} == set(EXISTING)
    assert rows[NEWCOMER] == ("webhook", True)
    assert rows[EXISTING[1]] == ("sync", False)      # blocked
    assert rows[EXISTING[2]] == ("sync", True)       # blocked and unblocked: still no add date


@pytest.mark.parametrize("days", [1, 7, 90])
def test_sync_friends_are_never_new_friends_in_any_period(account, days):
    today = dt.datetime.now(ZoneInfo(TZ)).date()
    period = Period.from_dates(today - dt.timedelta(days=days - 1), today + dt.timedelta(days=1), TZ)
    cur = account.cursor()
    kpis = metrics.overview_kpis(cur, period)["kpis"]
    assert kpis["new_friends"]["value"] == 1                       # the newcomer alone
    assert kpis["friends"]["value"] == 11 and kpis["following"]["value"] == 10
    # two blocks (one undone) among the 10 friends sync saw and the newcomer: not 2 of 1
    assert kpis["blocks"]["value"] == 2 and kpis["block_rate"]["value"] == pytest.approx(2 / 11)
    assert int(metrics.adds_by_weekday_hour(cur, period)["adds"].sum()) == 1
    funnel = metrics.funnel(cur, period)
    assert funnel.loc[funnel["route"] == "__total__", "adds"].tolist() == [1]
    assert int(metrics.route_quality(cur, period)["adds"].sum()) == 1
    retention = metrics.retention(cur, period)
    assert int(retention.groupby("add_week")["size"].first().sum()) == 1


def test_lines_figures_beside_ours_explain_the_difference(account):
    c = line_figures.compare(account.cursor())
    # LINE's latest day is yesterday (UTC+9): followers ever added = listed + blocked = 13, blocks 3
    assert (c.line_followers, c.line_blocks) == (13, 3)
    assert c.line_day == dt.datetime.now(dt.timezone(dt.timedelta(hours=9))).date() - dt.timedelta(days=1)
    assert (c.known, c.known_following, c.known_blocked, c.sync_only) == (11, 10, 1, 10)
    assert [key for key, _ in c.lines] == ["i11.line.counts", "i11.line.known", "i11.line.unseen",
                                           "i11.line.no_add_date"]
    en = " ".join(t(k, "en", **p) for k, p in c.lines)
    assert "LINE counts 13 friends (ever added)" in en and "11 are known here" in en
    assert "2 have not been seen since the dashboard started" in en
    assert "10 friends have no known add date" in en
    ja = " ".join(t(k, "ja", **p) for k, p in c.lines)
    assert "13人" in ja and "2人はダッシュボードの開始以来" in ja


def test_before_any_sync_the_overview_says_so(tmp_path):
    con = storage.connect(tmp_path / "fresh.duckdb")
    c = line_figures.compare(con.cursor())
    assert c.line_followers is None and c.known == 0
    assert [key for key, _ in c.lines] == ["i11.line.none", "i11.line.known"]
    con.close()


def test_a_friend_sync_listed_just_after_their_add_is_a_new_friend_when_the_add_arrives(tmp_path, sandbox):
    """Sync lists a friend who had just added the account; their follow (not an unblock) is loaded
    after it: that add is a new friend, while an unblock of a listed friend is not."""
    con = storage.connect(tmp_path / "late.duckdb")
    just_added, unblocker = EXISTING[3], EXISTING[4]
    sandbox.configure(followers=[just_added, unblocker])
    clients = api.clients(sandbox.url, "token")
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    sync.run(con, ["followers"], now=now, clients=clients)
    clients.close()
    ms = int(now.timestamp() * 1000) - 5_000   # both happened seconds before the sync listed them
    events = [_event("follow", just_added, ms, follow={"isUnblocked": False}),
              _event("follow", unblocker, ms, follow={"isUnblocked": True})]
    spool = tmp_path / "spool"
    spool.mkdir()
    (spool / f"{now:%Y%m%d-%H}.jsonl").write_text(json.dumps(
        {"kind": "webhook", "received_at": now.isoformat(),
         "body": json.dumps({"destination": "Ubot", "events": events})}) + "\n")
    loader.load_all(con, spool)
    rows = dict((u, (a, f)) for u, a, f in con.execute("select user_id, added_by, followed_at from friends").fetchall())
    assert rows[just_added][0] == "webhook" and rows[just_added][1] < now
    assert rows[unblocker][0] == "sync"
    con.close()
