"""LINE sync against a real sandbox process on loopback and a real DuckDB file: paging, the unverified
account, pacing at 60 insight calls per hour, the cache of final days, one failing endpoint, quota,
statistics of our deliveries, and the sandbox's LINE Login."""
from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import hmac
import json
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest

from dashboard.line import api
from dashboard.messaging import sending
from dashboard.core import storage
from dashboard.intake import sync
from dashboard.line.sandbox_process import free_port

JST = dt.timezone(dt.timedelta(hours=9))
FOLLOWERS = "/v2/bot/insight/followers"
DELIVERY = "/v2/bot/insight/message/delivery"
MESSAGES = [{"type": "text", "text": "秋の新作 https://example.com/autumn"}]


def users(n: int, prefix: str = "") -> list[str]:
    return [f"U{prefix}{uuid.UUID(int=i).hex[len(prefix):]}" for i in range(n)]


@pytest.fixture
def now() -> dt.datetime:
    """One frozen instant per test, near the real one (the sandbox's "today" is real)."""
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


@pytest.fixture
def db(tmp_path):
    con = storage.connect(tmp_path / "sync.duckdb")
    yield con
    con.close()


@pytest.fixture
def clients(sandbox):
    c = api.clients(sandbox.url, "token")
    yield c
    c.close()


def calls(sandbox, path: str) -> list[dict]:
    return [c | {"params": dict(urllib.parse.parse_qsl(c["query"]))}
            for c in sandbox.get("/sandbox/calls?path=" + path)["calls"] if c["path"] == path]


def by_part(results) -> dict:
    return {r.part: r for r in results}


def add_friend(con, key: int, user_id: str, *, following=True, blocked_at=None, name=None,
               followed_at=dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc), route=None):
    con.execute("insert into friends (user_key, user_id, display_name, followed_at, last_followed_at, blocked_at, "
                "is_following, inflow_route, added_by) values ($k, $u, $n, $f, $f, $b, $following, $r, 'webhook')",
                {"k": key, "u": user_id, "n": name, "f": followed_at, "b": blocked_at, "following": following,
                 "r": route})


# ---- followers and profiles -------------------------------------------------------------------

def test_followers_page_by_1000_add_unknown_and_leave_known_untouched(demo_copy, sandbox, clients, now):
    con = storage.connect(demo_copy)
    try:
        demo = con.execute("select user_id, display_name, followed_at, inflow_route, is_following from friends "
                           "order by user_key").fetchall()
        following = [r[0] for r in demo if r[4]]
        blocked = [r[0] for r in demo if not r[4]]
        listed_known, unlisted = following[:-40], following[-40:]   # 40 missed unfollow webhooks
        refollowing = blocked[:3]                                   # 3 missed follow (unblock) webhooks
        new = users(1_500, prefix="e")
        sandbox.configure(followers=listed_known + refollowing + new)
        before = {r[0]: r for r in demo}

        result = sync.run(con, ["followers"], now=now, clients=clients)[0]

        assert result.status == "ok" and result.rows == 1_500 + 3
        assert "1,500 unknown to us added" in result.message and "3 friends we held as blocked" in result.message
        assert "40 friends we hold as following are not in LINE's list" in result.message
        pages = calls(sandbox, "/v2/bot/followers/ids")
        total = len(listed_known) + 3 + 1_500
        assert len(pages) == -(-total // 1000) and all(p["params"]["limit"] == "1000" for p in pages)
        assert [p["params"].get("start") for p in pages] == [None] + [str(1000 * i) for i in range(1, len(pages))]
        added = con.execute("select count(*), min(followed_at), max(followed_at), bool_and(is_following), "
                            "min(user_key) > $k from friends where added_by = 'sync'", {"k": len(demo)}).fetchone()
        assert added == (1_500, now, now, True, True)
        after = {r[0]: r for r in con.execute(
            "select user_id, display_name, followed_at, inflow_route, is_following from friends").fetchall()}
        assert all(after[u] == before[u] for u in listed_known + unlisted)   # known friends untouched
        assert all(after[u][4] for u in refollowing)                        # listed again: following
        assert con.execute("select count(*) from friends where user_id in (select unnest($u::varchar[])) "
                           "and last_followed_at = $now", {"u": refollowing, "now": now}).fetchone()[0] == 3
    finally:
        con.close()


def test_unverified_account_is_skipped_with_a_clear_message_and_the_rest_runs(db, sandbox, clients, now):
    sandbox.configure(followers=users(10), followers_forbidden=True)
    results = by_part(sync.run(db, ["followers", "quota"], now=now, clients=clients))
    assert results["followers"].status == "skipped"
    assert "follower IDs are only available to verified or premium accounts" in results["followers"].message
    assert results["quota"].status == "ok"
    assert db.execute("select count(*) from friends").fetchone()[0] == 0
    assert db.execute("select status, detail like 'follower IDs are only available%' from line_sync_runs "
                      "where part = 'followers'").fetchall() == [("skipped", True)]


def test_profiles_name_friends_and_skip_those_line_refuses(db, sandbox, clients, now):
    friends = users(5, prefix="f")
    for key, user_id in enumerate(friends, start=1):
        add_friend(db, key, user_id, name="既知" if key == 1 else None)
    sandbox.configure(followers=friends[:4], blocked=[friends[3]], profiles={friends[1]: "山田 花子"})
    result = sync.run(db, ["profiles"], now=now, clients=clients)[0]
    assert result.status == "ok" and result.rows == 2
    assert "2 profiles refused" in result.message        # blocked, and not a follower: 404
    names = dict(db.execute("select user_id, display_name from friends").fetchall())
    assert names[friends[0]] == "既知" and names[friends[1]] == "山田 花子"
    assert names[friends[2]].startswith("友だち") and names[friends[3]] is None and names[friends[4]] is None
    assert len(calls(sandbox, f"/v2/bot/profile/{friends[0]}")) == 0   # named friends are not looked up


# ---- insight: pacing and cache -----------------------------------------------------------------

def test_pacing_stops_at_sixty_insight_calls_in_the_hour(db, sandbox, clients, now):
    today = now.astimezone(JST).date()
    # 25 of the 30 backfill days are final already: this run needs 5
    for n in range(6, sync.BACKFILL_DAYS + 1):
        db.execute("insert into insight_followers values ($d, 100, 80, 1, $at)",
                   {"d": today - dt.timedelta(days=n), "at": now})
    first = now - dt.timedelta(minutes=50)
    for i in range(58):  # 58 calls in the last hour, by an earlier run
        db.execute("insert into line_api_calls values ($at, $e, 200)", {"at": first + dt.timedelta(seconds=i), "e": FOLLOWERS})
    db.execute("insert into line_api_calls values ($at, $e, 200)", {"at": now - dt.timedelta(minutes=61), "e": FOLLOWERS})

    result = sync.run(db, ["insight_followers"], now=now, clients=clients)[0]

    assert result.status == "paced" and result.rows == 2
    assert "3 day(s) left" in result.message and "60 requests per hour" in result.message
    frees_at = first + dt.timedelta(hours=1)   # the oldest call in the hour leaves it
    assert f"{frees_at.astimezone(sync.JST):%H:%M}" in result.message or f"{frees_at:%H:%M}" in result.message
    asked = [c["params"]["date"] for c in calls(sandbox, FOLLOWERS)]
    assert asked == [f"{today - dt.timedelta(days=n):%Y%m%d}" for n in (1, 2)]    # newest first
    assert db.execute("select count(*) from line_api_calls where endpoint = $e and called_at > $since",
                      {"e": FOLLOWERS, "since": now - dt.timedelta(hours=1)}).fetchone()[0] == 60
    state = sync.status(db.cursor(), now=now)
    assert state["insight_budget_remaining"] == 0 and state["insight_calls_last_hour"] == 60
    assert state["insight_budget_frees_at"] == frees_at
    assert state["parts"]["insight_followers"]["status"] == "paced"

    again = sync.run(db, ["insight_followers"], now=now + dt.timedelta(minutes=1), clients=clients)[0]
    assert again.status == "paced" and again.rows == 0 and len(calls(sandbox, FOLLOWERS)) == 2
    later = sync.run(db, ["insight_followers"], now=frees_at + dt.timedelta(seconds=3), clients=clients)[0]
    assert later.rows >= 1 and len(calls(sandbox, FOLLOWERS)) > 2   # the budget freed up


def test_final_days_are_not_asked_again_unready_ones_are(db, sandbox, clients, now):
    sandbox.configure(insight_unready_days=2)   # LINE has not finished counting yesterday
    today = now.astimezone(JST).date()
    first = by_part(sync.run(db, ["insight_followers", "delivery_counts"], now=now, clients=clients))
    assert first["insight_followers"].status == "ok" and first["insight_followers"].rows == 29
    assert "1 not ready yet" in first["insight_followers"].message
    assert db.execute("select max(day) from insight_followers").fetchone()[0] == today - dt.timedelta(days=2)
    assert len(calls(sandbox, FOLLOWERS)) == 30 and len(calls(sandbox, DELIVERY)) == 30

    second = by_part(sync.run(db, ["insight_followers", "delivery_counts"], now=now + dt.timedelta(minutes=5),
                              clients=clients))
    # asked again: yesterday (unready) and the day before (ready, but fetched when not yet 2 days old)
    recent = {f"{today - dt.timedelta(days=n):%Y%m%d}" for n in (1, 2)}
    for path, part in ((FOLLOWERS, "insight_followers"), (DELIVERY, "delivery_counts")):
        asked_again = [c["params"]["date"] for c in calls(sandbox, path)[30:]]
        assert sorted(asked_again) == sorted(recent), part
        assert "28 of the last 30 days already final" in second[part].message


def test_out_of_service_days_are_recorded_and_never_asked_again(db, sandbox, clients):
    """LINE counted followers from 2016-11-01: earlier days answer out_of_service."""
    then = dt.datetime(2016, 11, 5, 3, 0, tzinfo=dt.timezone.utc)
    first = sync.run(db, ["insight_followers"], now=then, clients=clients)[0]
    assert first.status == "ok" and "26 out of service" in first.message and first.rows == 30
    assert db.execute("select count(*) from insight_followers where followers is null").fetchone()[0] == 26
    sync.run(db, ["insight_followers"], now=then + dt.timedelta(hours=1), clients=clients)
    asked_again = [c["params"]["date"] for c in calls(sandbox, FOLLOWERS)[30:]]
    assert sorted(asked_again) == ["20161103", "20161104"]   # ready, not yet settled; never the 26


def test_a_500_from_one_endpoint_fails_only_that_part(db, sandbox, clients, now):
    sandbox.configure(followers=users(30), endpoint_errors={DELIVERY: 500})
    results = by_part(sync.run(db, now=now, clients=clients))
    assert results["delivery_counts"].status == "failed"
    assert "500" in results["delivery_counts"].message and "server" in results["delivery_counts"].message
    assert {p: r.status for p, r in results.items() if p != "delivery_counts"} == {
        "followers": "ok", "profiles": "ok", "insight_followers": "ok", "unit_stats": "ok", "request_stats": "ok",
        "quota": "ok"}
    assert db.execute("select count(*) from insight_message_delivery").fetchone()[0] == 0
    assert db.execute("select count(*) from insight_followers").fetchone()[0] == 30
    assert db.execute("select status from line_api_calls where endpoint = $e", {"e": DELIVERY}).fetchall() == [(500,)]
    assert db.execute("select status from line_sync_runs where part = 'delivery_counts'").fetchall() == [("failed",)]


# ---- our deliveries' statistics, and quota -----------------------------------------------------

def _broadcast(sandbox) -> str:
    """A broadcast through the sandbox; returns LINE's request id (as the send engine would keep it)."""
    request = urllib.request.Request(sandbox.url + "/v2/bot/message/broadcast", method="POST",
                                     data=json.dumps({"messages": MESSAGES}).encode(),
                                     headers={"authorization": "Bearer t", "content-type": "application/json"})
    with urllib.request.urlopen(request) as response:
        return response.headers["x-line-request-id"]


def test_unit_and_request_statistics_land_in_delivery_stats_once_a_day(db, sandbox, clients):
    sending.plan(db, delivery_id="d_unit", user_ids=users(700), messages=MESSAGES)
    assert sending.run(db, "d_unit", clients).status == "sent"
    sandbox.configure(followers=users(400, prefix="b"))
    request_id = _broadcast(sandbox)
    db.execute("insert into deliveries (delivery_id, kind, status, planned_count, sent_count, request_id, "
               "created_by, sent_at) values ('d_bc', 'broadcast', 'sent', 400, 400, $r, 'local', current_timestamp), "
               "('d_demo', 'broadcast', 'sent', 400, 400, 'demo-req-1', 'demo', current_timestamp)", {"r": request_id})
    now = dt.datetime.now(dt.timezone.utc)

    results = by_part(sync.run(db, ["unit_stats", "request_stats"], now=now, clients=clients))

    assert results["unit_stats"].rows == 1 and results["request_stats"].rows == 1
    stats = {r[0]: r[1:] for r in db.execute("select delivery_id, day, impressions, unique_impressions, clicks, "
                                             "unique_clicks from delivery_stats").fetchall()}
    assert set(stats) == {"d_unit", "d_bc"}            # the demo's broadcast was never sent to LINE
    assert stats["d_unit"][1:] == (455, 350, 35, 28)   # bubble displays, opens, link opens, clickers
    assert stats["d_bc"][2] == 200
    unit_call = calls(sandbox, "/v2/bot/insight/message/event/aggregation")[0]["params"]
    assert unit_call["customAggregationUnit"] == sending.aggregation_unit("d_unit")
    assert unit_call["from"] == unit_call["to"] == f"{now.astimezone(JST):%Y%m%d}"

    again = by_part(sync.run(db, ["unit_stats", "request_stats"], now=now + dt.timedelta(minutes=10), clients=clients))
    assert again["unit_stats"].rows == 0 and again["request_stats"].rows == 0
    assert len(calls(sandbox, "/v2/bot/insight/message/event")) == 1   # once per day


def test_quota_is_recorded(db, sandbox, clients, now):
    sandbox.configure(quota=5_000)
    sending.plan(db, delivery_id="d_q", user_ids=users(120), messages=MESSAGES)
    sending.run(db, "d_q", clients)
    result = sync.run(db, ["quota"], now=now, clients=clients)[0]
    assert result.status == "ok" and "5,000" in result.message and "120" in result.message
    assert db.execute("select quota_type, quota_value, total_usage from line_quota").fetchall() == [("limited", 5_000, 120)]
    assert sync.status(db.cursor(), now=now)["quota"] | {"checked_at": None} == {
        "checked_at": None, "type": "limited", "value": 5_000, "total_usage": 120}


def test_cli_prints_a_line_per_part_and_fails_only_when_every_part_failed(tmp_path, sandbox, monkeypatch, capsys):
    monkeypatch.delenv("LINE_CHANNEL_ACCESS_TOKEN", raising=False)
    monkeypatch.setenv("LINE_API_BASE_URL", sandbox.url)
    db = tmp_path / "cli.duckdb"
    assert sync.cli(argparse.Namespace(part=["quota", "insight_followers"], db=str(db))) == 0
    out = capsys.readouterr().out.splitlines()
    assert "the sandbox" in out[0] and out[1].startswith("insight_followers") and out[2].startswith("quota")
    monkeypatch.setenv("LINE_API_BASE_URL", f"http://127.0.0.1:{free_port()}")   # nobody listens
    assert sync.cli(argparse.Namespace(part=["quota"], db=str(db))) == 1
    assert "failed" in capsys.readouterr().out
    with pytest.raises(ValueError, match="unknown sync part"):
        sync.cli(argparse.Namespace(part=["nonsense"], db=str(db)))


# ---- the sandbox's LINE Login ------------------------------------------------------------------

class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _authorize(sandbox, **params) -> dict:
    query = urllib.parse.urlencode({"response_type": "code", "client_id": "1650000000", "state": "st-1",
                                    "redirect_uri": "https://line.example.jp/login/callback?route=qr",
                                    "scope": "profile openid", "nonce": "n-1"} | params)
    with pytest.raises(urllib.error.HTTPError) as redirect:
        urllib.request.build_opener(_NoRedirect).open(sandbox.url + "/oauth2/v2.1/authorize?" + query)
    assert redirect.value.code == 302
    location = urllib.parse.urlparse(redirect.value.headers["location"])
    assert location.netloc == "line.example.jp" and location.path == "/login/callback"
    return dict(urllib.parse.parse_qsl(location.query))


def _token(sandbox, **form) -> tuple[int, dict]:
    body = urllib.parse.urlencode({"grant_type": "authorization_code", "client_id": "1650000000",
                                   "client_secret": "login-secret",
                                   "redirect_uri": "https://line.example.jp/login/callback?route=qr"} | form).encode()
    request = urllib.request.Request(sandbox.url + "/oauth2/v2.1/token", data=body,
                                     headers={"content-type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def test_line_login_token_endpoint_returns_an_id_token_for_the_configured_user(sandbox):
    user = users(1, prefix="a1")[0]
    sandbox.configure(login_user_id=user, profiles={user: "佐藤 一郎"})
    back = _authorize(sandbox)
    assert back["state"] == "st-1" and back["route"] == "qr" and back["code"]

    status, answer = _token(sandbox, code=back["code"])

    assert status == 200
    assert set(answer) == {"access_token", "expires_in", "id_token", "refresh_token", "scope", "token_type"}
    assert answer["scope"] == "profile openid" and answer["token_type"] == "Bearer"
    header, payload, signature = answer["id_token"].split(".")
    expected = hmac.new(b"login-secret", f"{header}.{payload}".encode(), hashlib.sha256).digest()
    assert hmac.compare_digest(_b64(signature), expected)
    assert json.loads(_b64(header)) == {"typ": "JWT", "alg": "HS256"}
    claims = json.loads(_b64(payload))
    assert claims["sub"] == user and claims["aud"] == "1650000000" and claims["iss"] == "https://access.line.me"
    assert claims["nonce"] == "n-1" and claims["name"] == "佐藤 一郎" and claims["exp"] > claims["iat"]

    assert _token(sandbox, code=back["code"]) == (400, {"error": "invalid_grant",
                                                        "error_description": "invalid authorization code"})
    other = _authorize(sandbox)
    status, answer = _token(sandbox, code=other["code"], redirect_uri="https://evil.example/cb")
    assert status == 400 and answer["error"] == "invalid_grant"
