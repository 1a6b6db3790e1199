"""The loader: spool -> DuckDB, exactly once, on a real database file and real spool files."""
from __future__ import annotations

import datetime as dt
import json
import os
import time
import urllib.error
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard.intake import loader
from dashboard.analytics import rollups
from dashboard.core import storage

T0 = 1767225600000  # 2026-01-01 00:00 UTC in LINE's milliseconds
ALICE, BOB, CAROL = "U" + "a" * 32, "U" + "b" * 32, "U" + "c" * 32


def event(kind: str, user: str | None = ALICE, ts: int = T0, eid: str | None = None, source: str = "user", **extra):
    """A webhook event shaped as in LINE's webhook.yml."""
    body = {"type": kind, "mode": "active", "timestamp": ts,
            "webhookEventId": eid or f"01{kind[:6]}{ts}{user or ''}"[:40],
            "deliveryContext": {"isRedelivery": False}}
    if source == "user":
        body["source"] = {"type": "user", "userId": user}
    elif source == "group":
        body["source"] = {"type": "group", "groupId": "C" + "1" * 32, **({"userId": user} if user else {})}
    body.update(extra)
    return body


def record(*events, received: str = "2026-01-01T00:00:05+00:00") -> dict:
    return {"kind": "webhook", "received_at": received,
            "body": json.dumps({"destination": "Ubot", "events": list(events)}, ensure_ascii=False)}


def spool(directory: Path, *records, name: str = "20260101-00.jsonl", raw: str = "") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    with path.open("a", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
        fh.write(raw)
    return path


@pytest.fixture
def db(tmp_path):
    con = storage.connect(tmp_path / "live.duckdb")
    con.execute("insert into inflow_routes (route, name_ja, name_en) values ('store_pop', '店頭POP', 'Store POP')")
    rollups.refresh(con)
    yield con, tmp_path / "spool"
    con.close()


def rows(con, sql, params=None):
    return con.execute(sql, params or {}).fetchall()


ALL_TYPES = [
    event("follow", follow={"isUnblocked": False}, replyToken="r"),
    event("message", ts=T0 + 1, message={"id": "1", "type": "text", "text": "こんにちは", "quoteToken": "q"}),
    event("unsend", ts=T0 + 2, unsend={"messageId": "1"}),
    event("postback", ts=T0 + 3, postback={"data": "menu=%E3%82%B9%E3%82%AD%E3%83%B3%E3%82%B1%E3%82%A2"}),
    event("videoPlayComplete", ts=T0 + 4, videoPlayComplete={"trackingId": "v1"}),
    event("beacon", ts=T0 + 5, beacon={"hwid": "d41d8cd98f", "type": "enter"}),
    event("accountLink", ts=T0 + 6, link={"result": "ok", "nonce": "C0042.x9y8"}),
    event("membership", ts=T0 + 7, membership={"type": "joined", "membershipId": 3}),
    event("module", ts=T0 + 8, module={"type": "attached", "botId": "U1", "scopes": ["message"]}),
    event("activated", ts=T0 + 9, chatControl={"expireAt": T0}),
    event("deactivated", ts=T0 + 10),
    event("botSuspended", None, ts=T0 + 11, source="none"),
    event("botResumed", None, ts=T0 + 12, source="none"),
    event("delivery", None, ts=T0 + 13, source="none", delivery={"data": "pnp"}),
    event("join", None, ts=T0 + 14, source="group"),
    event("leave", None, ts=T0 + 15, source="group"),
    event("memberJoined", None, ts=T0 + 16, source="group", joined={"members": [{"type": "user", "userId": BOB}]}),
    event("memberLeft", None, ts=T0 + 17, source="group", left={"members": [{"type": "user", "userId": BOB}]}),
    event("unfollow", ts=T0 + 18),
    event("somethingLineAddsNextYear", ts=T0 + 19, newField={"x": [1, 2]}),
]


def test_every_webhook_event_type_is_loaded_with_its_raw_json(db):
    con, directory = db
    spool(directory, record(*ALL_TYPES))
    result = loader.load_once(con, directory)
    assert (result.lines, result.loaded, result.quarantined) == (1, len(ALL_TYPES), 0)
    got = dict(rows(con, "select json_extract_string(payload, '$.type'), type from events"))
    assert got["follow"] == "follow" and got["postback"] == "richmenu_tap" and got["accountLink"] == "account_link"
    assert got["videoPlayComplete"] == "video_play_complete" and got["memberJoined"] == "member_joined"
    assert got["somethingLineAddsNextYear"] == "something_line_adds_next_year"
    for original in ALL_TYPES:  # the raw JSON of every event is kept as LINE sent it
        payload = rows(con, "select payload from events where event_id = $id", {"id": original["webhookEventId"]})
        assert json.loads(payload[0][0]) == original
    assert rows(con, "select detail from events where type = 'richmenu_tap'") == [("スキンケア",)]
    # the rich-menu tap became a tag; the account link linked the CRM customer both ways
    assert rows(con, "select tag, origin from friend_tags") == [("menu:スキンケア", "rich_menu")]
    assert rows(con, "select customer_id from friends where user_id = $u", {"u": ALICE}) == [("C0042",)]
    assert rows(con, "select line_user_id from customers where customer_id = 'C0042'") == [(ALICE,)]
    # only one-to-one sources make friends: the group member is not one
    assert rows(con, "select user_id, is_following from friends") == [(ALICE, False)]


def test_follow_block_unblock_in_any_arrival_order(db):
    con, directory = db
    follow = event("follow", BOB, ts=T0, follow={"isUnblocked": False})
    block = event("unfollow", BOB, ts=T0 + 60_000)
    unblock = event("follow", BOB, ts=T0 + 120_000, follow={"isUnblocked": True})
    spool(directory, record(unblock))       # newest first, in separate batches
    loader.load_once(con, directory)
    spool(directory, record(block), record(follow))
    loader.load_once(con, directory)
    (followed, last, blocked, following), = rows(
        con, "select epoch_ms(followed_at), epoch_ms(last_followed_at), epoch_ms(blocked_at), is_following from friends")
    assert (followed, last, blocked, following) == (T0, T0 + 120_000, T0 + 60_000, True)
    assert rows(con, "select detail from events where type = 'follow' order by occurred_at") == [(None,), ("unblocked",)]
    # the rollups saw it: two adds and one block on that day
    assert rows(con, "select sum(adds), sum(blocks) from rollup_daily_route") == [(2, 1)]


def test_redeliveries_and_duplicates_are_loaded_once(db):
    con, directory = db
    first = event("message", CAROL, message={"id": "9", "type": "text", "text": "hi"})
    again = {**first, "deliveryContext": {"isRedelivery": True}}
    spool(directory, record(first, first), record(again))
    assert loader.load_once(con, directory).loaded == 1
    spool(directory, record(again), name="20260101-01.jsonl")  # redelivered an hour later
    result = loader.load_once(con, directory)
    assert (result.loaded, result.duplicates) == (0, 1)
    assert loader.load_once(con, directory).lines == 0  # nothing read twice
    assert rows(con, "select count(*) from events") == [(1,)]
    # without a webhookEventId the event's own JSON is its identity
    anonymous = {k: v for k, v in event("message", CAROL, ts=T0 + 5, message={"type": "sticker"}).items()
                 if k != "webhookEventId"}
    spool(directory, record(anonymous), record(anonymous), name="20260101-02.jsonl")
    assert loader.load_once(con, directory).loaded == 1


def test_postback_conventions_become_answers_attributes_tags_and_routes(db):
    con, directory = db
    spool(directory, record(
        event("follow", ALICE, follow={"isUnblocked": False}),
        event("postback", ALICE, ts=T0 + 1, postback={"data": "survey=concern&answer=%E8%82%8C%E8%8D%92%E3%82%8C&tag=interest:skincare"}),
        event("postback", ALICE, ts=T0 + 2, postback={"data": "survey=concern&answer=sleep+better"}),
        event("postback", ALICE, ts=T0 + 3, postback={"data": "coupon=spring&d=dlv-1"}),
        event("follow", BOB, ts=T0 + 4, follow={"isUnblocked": False}),
        event("message", BOB, ts=T0 + 5, message={"id": "2", "type": "text", "text": "#store_pop"}),
        event("follow", CAROL, ts=T0 + 6, follow={"isUnblocked": False}),
        event("postback", CAROL, ts=T0 + 7, postback={"data": "route=store_pop"}),
    ))
    loader.load_once(con, directory)
    assert rows(con, "select detail from events where type = 'survey_answer' order by occurred_at") == [
        ("肌荒れ",), ("sleep better",)]
    # the newest answer is the attribute, even when the older one arrives later
    assert rows(con, "select value from friend_attributes where key = 'survey_concern'") == [("sleep better",)]
    spool(directory, record(event("postback", ALICE, ts=T0 - 1, eid="late",
                                  postback={"data": "survey=concern&answer=old"})), name="20260101-01.jsonl")
    loader.load_once(con, directory)
    assert rows(con, "select value from friend_attributes where key = 'survey_concern'") == [("sleep better",)]
    assert {r[0] for r in rows(con, "select tag from friend_tags where user_id = $u", {"u": ALICE})} == {
        "concern:肌荒れ", "concern:sleep better", "interest:skincare", "concern:old"}
    assert rows(con, "select type, detail, delivery_id from events where event_id like '%postba%' and detail like 'coupon%'") == [
        ("postback", "coupon=spring&d=dlv-1", "dlv-1")]
    assert dict(rows(con, "select user_id, inflow_route from friends")) == {ALICE: None, BOB: "store_pop", CAROL: "store_pop"}
    assert dict(rows(con, "select user_id, method from route_attributions")) == {BOB: "keyword", CAROL: "postback"}


def test_a_tag_written_meanwhile_by_another_transaction_is_never_doubled(db):
    con, directory = db
    spool(directory, record(event("follow", ALICE)))
    loader.load_once(con, directory)
    other = con.cursor()  # e.g. a CSV tag import, still open while the loader commits
    other.execute("begin")
    other.execute("insert into friend_tags (user_key, user_id, tag, tagged_at, origin) "
                  "select user_key, user_id, 'menu:coupon', now(), 'import' from friends")
    spool(directory, record(event("postback", ALICE, ts=T0 + 1, postback={"data": "menu=coupon"})))
    assert loader.load_once(con, directory).loaded == 1
    with pytest.raises(duckdb.TransactionException, match="PRIMARY KEY"):  # the second to commit fails whole
        other.execute("commit")
    assert rows(con, "select tag, origin from friend_tags") == [("menu:coupon", "rich_menu")]


def test_poison_events_are_quarantined_and_never_block_the_rest(db):
    con, directory = db
    good = event("message", ALICE, message={"type": "text", "text": "ok"})
    spool(directory, record(
        good, "not an object", {"type": "message"},  # no timestamp
        event("message", None, ts=T0 + 1, source="none") | {"source": {"type": "user", "userId": 42}},
        {"timestamp": T0}, event("message", ts=237059369998729312)), raw="this line is not JSON\n")
    result = loader.load_once(con, directory)
    assert result.loaded == 1 and result.quarantined == 6
    reasons = sorted(r[0] for r in rows(con, "select reason from ingest_quarantine"))
    assert reasons == ["event has no type", "event has no valid timestamp", "event has no valid timestamp",
                       "event is not a JSON object",
                       "not a JSON object (a line cut short by a crash during append?)",
                       "source.userId is not a string"]
    assert rows(con, "select line_no from ingest_quarantine where raw = 'this line is not JSON'") == [(2,)]


def test_a_line_with_bytes_that_are_not_utf8_is_quarantined_and_the_others_load(db):
    con, directory = db
    path = spool(directory, record(event("follow", ALICE)))
    with path.open("ab") as fh:
        fh.write(b'{"kind": "webhook", "body": "\xff\xfe broken"}\n')
    spool(directory, record(event("follow", BOB, ts=T0 + 1)), record(event("follow", CAROL, ts=T0 + 2)))
    result = loader.load_once(con, directory)
    assert (result.lines, result.loaded, result.quarantined) == (4, 3, 1)
    assert rows(con, "select line_no, raw like '%\ufffd%' from ingest_quarantine") == [(2, True)]
    assert loader.load_once(con, directory).lines == 0
    assert rows(con, "select lines from ingest_offsets") == [(4,)]


def test_a_torn_last_line_waits_while_being_written_and_is_quarantined_when_abandoned(db):
    con, directory = db
    now = dt.datetime.now(dt.timezone.utc)
    current = now.strftime("%Y%m%d-%H") + ".jsonl"
    path = spool(directory, record(event("follow", ALICE)), name=current, raw='{"kind":"webhook","rece')
    assert loader.load_once(con, directory).lines == 1  # the unfinished line is left for later
    with path.open("a") as fh:  # the receiver finishes its write
        fh.write('ived_at":"2026-01-01T00:00:05+00:00","body":' + json.dumps(json.dumps(
            {"events": [event("follow", BOB)]})) + "}\n")
    assert loader.load_once(con, directory).loaded == 1
    old = spool(directory, record(event("follow", CAROL)), name="20250101-00.jsonl", raw='{"kind":"web')
    os.utime(old, (time.time() - 3600, time.time() - 3600))  # a receiver died mid-append long ago
    result = loader.load_once(con, directory)
    assert (result.loaded, result.quarantined) == (1, 1)
    assert loader.load_once(con, directory).lines == 0
    assert rows(con, "select count(*) from friends") == [(3,)]


def test_a_restarted_receiver_ends_a_torn_line_before_appending(tmp_path):
    import asyncio

    from dashboard.intake import receiver

    directory = tmp_path / "spool"
    writer = receiver.Spool(directory)
    path = writer._file()
    path.write_bytes(b'{"kind":"webhook","rec')  # what a receiver killed mid-write left
    asyncio.run(writer.append({"kind": "route_hit", "id": "h1", "received_at": "2026-01-01T00:00:00+00:00",
                               "route": "x"}))
    assert path.read_bytes().split(b"\n")[1].startswith(b'{"kind":"route_hit"')


def test_clicks_route_hits_and_line_login_attribution(db):
    con, directory = db
    spool(directory,
          {"kind": "route_login", "id": "l1", "received_at": "2026-01-01T00:00:01+00:00", "route": "store_pop", "user_id": ALICE},
          record(event("follow", ALICE, ts=T0 + 2000, follow={"isUnblocked": False})),
          {"kind": "link_click", "id": "c1", "received_at": "2026-01-01T00:00:09+00:00", "delivery_id": "dlv-9",
           "user_id": ALICE, "url": "https://shop.example.jp/sale"},
          {"kind": "link_click", "id": "c1", "received_at": "2026-01-01T00:00:09+00:00", "delivery_id": "dlv-9",
           "user_id": ALICE, "url": "https://shop.example.jp/sale"},
          {"kind": "route_hit", "id": "h1", "received_at": "2026-01-01T00:00:00+00:00", "route": "store_pop"},
          {"kind": "route_hit", "id": "h2", "received_at": "2026-01-01T00:00:00+00:00", "route": "store_pop"},
          {"kind": "route_hit", "id": "h2", "received_at": "2026-01-01T00:00:00+00:00", "route": "store_pop"})
    result = loader.load_once(con, directory)
    assert result.route_hits == 2
    assert rows(con, "select inflow_route from friends") == [("store_pop",)]
    assert rows(con, "select method from route_attributions") == [("line_login",)]
    assert rows(con, "select delivery_id, detail from events where type = 'link_click'") == [
        ("dlv-9", "https://shop.example.jp/sale")]
    assert rows(con, "select day, visits, source from site_visits") == [(dt.date(2026, 1, 1), 2, "route_link")]
    assert rows(con, "select inflow_route, adds from rollup_daily_route") == [("store_pop", 1)]


def test_incremental_rollups_equal_a_full_rebuild(demo_copy):
    con = storage.connect(demo_copy)
    directory = demo_copy.parent / "spool"
    known = rows(con, "select user_id from friends where is_following order by user_key limit 3")
    ts = int(dt.datetime.now(dt.timezone.utc).timestamp() * 1000) - 3_600_000
    spool(directory, record(
        event("follow", "U" + "e" * 32, ts=ts, follow={"isUnblocked": False}),
        event("postback", known[0][0], ts=ts + 1, postback={"data": "menu=coupon"}),
        event("unfollow", known[1][0], ts=ts + 2),
        event("message", known[2][0], ts=ts + 3, message={"type": "text", "text": "hi"})))
    loader.load_once(con, directory)
    tables = [t for t, _ in rollups.ROLLUPS if t != "rollup_friend_activity"]
    incremental = {t: sorted(rows(con, f"select * from {t}"), key=repr) for t in tables}
    rollups.refresh(con)
    for table in tables:
        assert sorted(rows(con, f"select * from {table}"), key=repr) == incremental[table], table
    con.close()


lines = st.one_of(
    st.text(max_size=200),
    st.builds(lambda e: json.dumps({"kind": "webhook", "received_at": "2026-01-01T00:00:00Z",
                                    "body": json.dumps({"events": e})}),
              st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                           lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(
                               st.sampled_from(["type", "timestamp", "source", "userId", "postback", "data",
                                                "webhookEventId", "message"]), children, max_size=5)),
                           max_leaves=20)),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(lines, min_size=1, max_size=8))
def test_garbage_lines_never_crash_the_loader(db, garbage):
    con, directory = db
    before = rows(con, "select count(*) from events")[0][0]
    path = spool(directory, raw="".join(g.replace("\n", " ").replace("\r", " ") + "\n" for g in garbage),
                 name=f"20260101-{len(list(directory.glob('*'))) % 24:02d}.jsonl" if directory.exists() else "20260101-00.jsonl")
    result = loader.load_all(con, directory)
    assert result.loaded + result.quarantined <= result.events + result.lines
    assert rows(con, "select count(*) from events")[0][0] == before + result.loaded
    assert path.exists()


def test_receiver_and_loader_killed_under_load_lose_nothing_and_double_nothing(tmp_path):
    """Receiver SIGKILLed under 8 clients (LINE redelivers what got no 200), restarted; the loader
    SIGKILLed mid-load and run again: every acknowledged event is in the database exactly once."""
    import signal
    import subprocess
    import sys
    import threading

    from dashboard.intake import receiver
    from tests.test_webhook import SECRET, post, start_receiver

    acknowledged, lock, stop = set(), threading.Lock(), threading.Event()

    def client(url: str, offset: int) -> None:
        n = offset
        while not stop.is_set():
            # every 5th body carries an earlier event again, as LINE's redelivery does
            ids = [n] + ([n - 40] if n % 5 == 0 and n >= 40 else [])
            body = json.dumps({"destination": "Ubot", "events": [
                event("message", "U" + f"{i % 97:032x}", ts=T0 + i, eid=f"EV{i:08d}",
                      message={"type": "text", "text": f"#{i}"}) for i in ids]}).encode()
            try:
                if post(url, body, {"x-line-signature": receiver.signature(SECRET, body)}) == 200:
                    with lock:
                        acknowledged.update(f"EV{i:08d}" for i in ids)
            except OSError:
                return
            n += 8

    def load_for(seconds: float, offset_base: int) -> None:
        proc, url = start_receiver(tmp_path)
        threads = [threading.Thread(target=client, args=(url, offset_base + i)) for i in range(8)]
        for th in threads:
            th.start()
        time.sleep(seconds)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        stop.set()
        for th in threads:
            th.join()
        stop.clear()

    load_for(1.5, 0)
    load_for(1.0, 1_000_000)  # a restarted receiver appends after whatever the dead one left
    assert len(acknowledged) > 100
    db = tmp_path / "live.duckdb"
    env = {**os.environ, "DASHBOARD_DB": str(db), "DASHBOARD_SPOOL": str(tmp_path / "spool"),
           "DASHBOARD_SECRETS_FILE": str(tmp_path / "none.toml")}
    cmd = [sys.executable, "-m", "dashboard", "ingest"]
    killed = subprocess.Popen(cmd, cwd=loader.config.ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(2.5)  # mid-load (or already done: either way the second run must not double anything)
    killed.kill()
    killed.wait()
    done = subprocess.run(cmd, cwd=loader.config.ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    con = storage.connect(db, read_only=True)
    loaded = rows(con, "select event_id, count(*) from events group by 1")
    con.close()
    assert all(n == 1 for _, n in loaded)
    assert acknowledged <= {e for e, _ in loaded}


def test_route_link_through_line_login_attributes_the_follow(tmp_path, sandbox):
    """/f/<route> -> LINE Login (the sandbox's) -> /login/callback -> add-friend URL; the follow
    that arrives afterwards by webhook carries the route."""
    import urllib.parse
    import urllib.request

    from dashboard.line.sandbox_process import free_port
    from tests.test_webhook import NoRedirect, start_receiver

    user = "U" + "f" * 32
    sandbox.configure(login_user_id=user)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc, _ = start_receiver(tmp_path, port, DASHBOARD_LINK_SECRET="links", DASHBOARD_ADD_FRIEND_URL="https://lin.ee/abc",
                               LINE_LOGIN_CHANNEL_ID="1650000000", LINE_LOGIN_CHANNEL_SECRET="login-secret",
                               LINE_LOGIN_AUTHORIZE_URL=sandbox.url + "/oauth2/v2.1/authorize",
                               LINE_LOGIN_API_BASE_URL=sandbox.url, DASHBOARD_PUBLIC_BASE_URL=url)
    try:
        opener = urllib.request.build_opener(NoRedirect)
        hops, target = [], url + "/f/store_pop"
        while target.startswith("http://127.0.0.1"):
            try:
                opener.open(target, timeout=10)
                raise AssertionError("expected a redirect")
            except urllib.error.HTTPError as err:
                assert err.code == 302, err.read()
                target = err.headers["Location"]
                hops.append(urllib.parse.urlparse(target).path)
        assert hops == ["/oauth2/v2.1/authorize", "/login/callback", "/abc"] and target == "https://lin.ee/abc"
        # a forged callback attributes nobody
        try:
            opener.open(url + "/login/callback?code=x&state=store_pop.abc.def", timeout=10)
        except urllib.error.HTTPError as err:
            assert err.code == 400
    finally:
        proc.terminate()
        proc.wait(10)
    con = storage.connect(tmp_path / "live.duckdb")
    con.execute("insert into inflow_routes values ('store_pop', '店頭POP', 'Store POP', current_timestamp)")
    spool(tmp_path / "spool", record(event("follow", user, follow={"isUnblocked": False})), name="20260101-00.jsonl")
    loader.load_all(con, tmp_path / "spool")
    assert rows(con, "select inflow_route from friends where user_id = $u", {"u": user}) == [("store_pop",)]
    assert rows(con, "select method from route_attributions") == [("line_login",)]


def test_an_unfollow_from_a_user_never_seen_loads_and_later_rounds_flow(db):
    # issue 11: every real account has friends older than the dashboard; their block used to fail
    # the round on NOT NULL friends.is_following, and every later round with it
    con, directory = db
    spool(directory, record(event("unfollow", BOB, ts=T0)))
    result = loader.load_once(con, directory)
    assert (result.loaded, result.quarantined) == (1, 0)
    assert rows(con, "select epoch_ms(followed_at), last_followed_at, epoch_ms(blocked_at), is_following, added_by "
                     "from friends") == [(T0, None, T0, False, "webhook")]
    spool(directory, record(event("follow", BOB, ts=T0 + 1000, follow={"isUnblocked": True})),
          name="20260101-01.jsonl")
    assert loader.load_once(con, directory).loaded == 1
    assert rows(con, "select epoch_ms(followed_at), is_following from friends") == [(T0 + 1000, True)]


def test_a_round_the_database_refuses_is_bisected_and_only_the_refused_event_is_quarantined(db):
    # issue 11: nothing may wedge the loader. A real constraint: one LINE user per CRM customer, and
    # customer C0001 is already linked to CAROL, so ALICE's account link to C0001 is refused
    con, directory = db
    con.execute("create unique index customers_one_user on customers (line_user_id)")
    con.execute("insert into customers (customer_id, line_user_id, updated_at) values ('C0009', $u, now())",
                {"u": ALICE})
    users = ["U" + f"{i:032x}" for i in range(40)]
    records = [record(event("follow", u, ts=T0 + i, follow={"isUnblocked": False})) for i, u in enumerate(users)]
    refused = event("accountLink", ALICE, ts=T0 + 100, eid="01LINKREFUSED", link={"result": "ok", "nonce": "C0001.n"})
    records.insert(17, record(event("message", ALICE, ts=T0 + 99, message={"type": "text", "text": "a"}), refused,
                              event("postback", ALICE, ts=T0 + 101, postback={"data": "menu=shop"})))
    spool(directory, *records)
    result = loader.load_once(con, directory)
    assert (result.loaded, result.quarantined, result.refused) == (42, 1, 1)
    assert "Constraint Error" in result.refusal and result.refusal.startswith(loader.REFUSED)
    (event_id, reason, raw), = rows(con, "select event_id, reason, raw from ingest_quarantine")
    assert event_id == "01LINKREFUSED" and reason.startswith(loader.REFUSED + "Constraint Error")
    assert json.loads(raw) == refused  # nothing lost: the event as LINE sent it
    assert rows(con, "select count(*) from friends") == [(41,)]
    assert rows(con, "select lines from ingest_offsets") == [(41,)]
    assert loader.load_once(con, directory).lines == 0  # nothing read twice
    # the next rounds flow
    spool(directory, record(event("follow", BOB, ts=T0 + 200)), name="20260101-01.jsonl")
    nxt = loader.load_once(con, directory)
    assert (nxt.loaded, nxt.refused) == (1, 0)
    assert rows(con, "select count(*) from events") == [(43,)]
    rollups_after = {t: sorted(rows(con, f"select * from {t}"), key=repr) for t, _ in rollups.ROLLUPS
                     if t != "rollup_friend_activity"}
    rollups.refresh(con)
    for table, got in rollups_after.items():
        assert sorted(rows(con, f"select * from {table}"), key=repr) == got, table


def test_a_line_the_database_refuses_whole_is_quarantined_with_its_text(db):
    con, directory = db
    con.execute("create unique index customers_one_user on customers (line_user_id)")
    con.execute("insert into customers (customer_id, line_user_id, updated_at) values ('C0009', $u, now())",
                {"u": ALICE})
    link = record(event("accountLink", ALICE, ts=T0, link={"result": "ok", "nonce": "C0001.n"}))
    spool(directory, record(event("follow", BOB)), link, record(event("follow", CAROL, ts=T0 + 1)))
    result = loader.load_once(con, directory)
    assert (result.loaded, result.refused) == (2, 1)
    assert rows(con, "select line_no, event_id is not null from ingest_quarantine") == [(2, True)]


def test_ingest_command_exits_non_zero_with_one_line_when_the_database_refused_something(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "cli.duckdb"
    con = storage.connect(path)
    con.execute("create unique index customers_one_user on customers (line_user_id)")
    con.execute("insert into customers (customer_id, line_user_id, updated_at) values ('C0009', $u, now())",
                {"u": ALICE})
    con.close()
    directory = tmp_path / "spool"
    spool(directory, record(event("follow", BOB)),
          record(event("accountLink", ALICE, ts=T0, link={"result": "ok", "nonce": "C0001.n"})))
    command = [sys.executable, "-m", "dashboard", "ingest", "--db", str(path), "--spool", str(directory)]
    root = Path(__file__).resolve().parent.parent
    first = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=120)
    assert first.returncode == 1 and "2 lines: 1 events loaded" in first.stdout
    assert len(first.stderr.strip().splitlines()) == 1 and "refused 1" in first.stderr and "Constraint" in first.stderr
    second = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=120)
    assert second.returncode == 0 and second.stdout.startswith("0 lines"), second.stderr


@pytest.mark.parametrize("user_id", ["U" + "A" * 32, "U" + "a" * 31, "Ua" + "a" * 32, "X" + "a" * 32, "",
                                     "U" + "a" * 32 + "\n", "C" + "1" * 32])
def test_a_user_id_not_in_lines_format_is_quarantined_with_a_reason_and_the_rest_loads(db, user_id):
    # issue 11 point 4, the webhook door: the receiver only spools signed bodies; the loader checks
    con, directory = db
    bad = event("message", user_id, ts=T0 + 1, eid="01BADUSER", message={"type": "text", "text": "x"})
    spool(directory, record(event("follow", ALICE), bad),
          {"kind": "link_click", "id": "c1", "received_at": "2026-01-01T00:00:09+00:00", "user_id": user_id,
           "url": "https://shop.example.jp/"} if user_id else record())
    result = loader.load_once(con, directory)
    assert result.loaded == 1 and result.refused == 0
    reasons = {r[0] for r in rows(con, "select reason from ingest_quarantine")}
    assert "source.userId is not a LINE user ID (U and 32 lower-case hex digits)" in reasons
    if user_id:
        assert "user_id is not a LINE user ID (U and 32 lower-case hex digits)" in reasons
    assert rows(con, "select user_id from friends") == [(ALICE,)]
    from dashboard.line import ids as line_ids
    from dashboard.core import queries  # the SQL check is line_ids' shape, not a copy that drifts
    assert queries.sql("ingest/stage_events").count(f"'{line_ids._USER.pattern}'") == 2


def test_a_database_that_refuses_everything_stops_the_round_with_the_reason(db, monkeypatch):
    # a broken database is no bad event: the loader says so instead of quarantining the whole spool
    con, directory = db
    monkeypatch.setattr(loader, "MAX_REFUSED_LINES", 1)
    con.execute("create unique index customers_one_user on customers (line_user_id)")
    con.execute("insert into customers (customer_id, line_user_id, updated_at) values ('C0009', $u, now()), "
                "('C0008', $v, now())", {"u": ALICE, "v": BOB})
    spool(directory, record(event("follow", CAROL)),
          record(event("accountLink", ALICE, ts=T0, link={"result": "ok", "nonce": "C0001.n"})),
          record(event("accountLink", BOB, ts=T0 + 1, link={"result": "ok", "nonce": "C0002.n"})))
    with pytest.raises(loader.LoaderStopped, match="refused more than 1 lines.*Constraint Error"):
        loader.load_once(con, directory)
    assert rows(con, "select user_id from friends") == [(CAROL,)]          # what loaded stays loaded
    assert rows(con, "select count(*) from ingest_quarantine") == [(1,)]
    assert rows(con, "select lines from ingest_offsets") == [(2,)]         # the rest is read again


def test_a_follow_long_after_a_broadcast_moves_a_first_sighting_out_of_its_estimated_recipients(db):
    """The loader adds a round's changes of broadcasts' estimated recipients to rollup_delivery_route
    instead of recounting them (rollups/recipients_*): a route row emptied goes, as in a rebuild."""
    con, directory = db
    con.execute("insert into inflow_routes (route, name_ja, name_en) values ('shop_card', 'ショップカード', 'Shop card')")
    spool(directory, record(
        event("follow", ALICE, follow={"isUnblocked": False}),
        event("postback", ALICE, ts=T0 + 1, postback={"data": "route=store_pop"}),
        # CAROL is found by the webhook without a follow: her first sighting counts as her add
        event("message", CAROL, ts=T0 + 2, message={"id": "3", "type": "text", "text": "hi"}),
        event("postback", CAROL, ts=T0 + 3, postback={"data": "route=shop_card"})))
    loader.load_once(con, directory)
    sent = dt.datetime.fromtimestamp((T0 + 86_400_000) / 1000, dt.timezone.utc)
    con.execute("insert into deliveries (delivery_id, kind, status, sent_at) values ('B1', 'broadcast', 'sent', $t)",
                {"t": sent})
    rollups.refresh(con)
    table = "select delivery_id, inflow_route, recipients, reactors_24h from rollup_delivery_route order by all"
    assert rows(con, table) == [("B1", "shop_card", 1, 0), ("B1", "store_pop", 1, 0)]
    later = T0 + 10 * 86_400_000  # long after the send: B1 is outside the deliveries redone by time
    spool(directory, record(event("follow", CAROL, ts=later, follow={"isUnblocked": False})),
          name="20260111-00.jsonl")
    loaded = loader.load_all(con, directory)
    assert loaded.recipients == {("B1", "shop_card"): -1}   # her follow is her add: after the send
    assert rows(con, table) == [("B1", "store_pop", 1, 0)]
    incremental = sorted(rows(con, "select * from rollup_delivery_route"), key=repr)
    rollups.refresh(con)
    assert sorted(rows(con, "select * from rollup_delivery_route"), key=repr) == incremental
