"""Issue 15 points 1–2: one friend's story read back in order from a journey with known events,
the search, tags by hand (role, audit), masked IDs, and one message to one friend through the send
engine against the real sandbox over HTTP."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.access.roles import PermissionDenied, User
from dashboard.audience import friend
from dashboard.core import audit
from dashboard.intake.csv_values import email_hash
from dashboard.line import api
from dashboard.messaging import one_friend
from tests.journeys import Journeys

NAV = Path(__file__).resolve().parent.parent / "dashboard" / "web" / "navigation.py"
OPERATOR, SENDER, VIEWER = User("olga", "operator", "local"), User("sam", "sender", "local"), User("vic", "viewer", "local")


def _say(j: Journeys, who, text: str, when: str, reply_token: str = "rt-1") -> None:
    """A text message from the friend as the loader keeps it: the webhook JSON with its text."""
    moment = j.at(when)
    payload = {"type": "message", "replyToken": reply_token, "timestamp": int(moment.timestamp() * 1000),
               "source": {"type": "user", "userId": who.user_id}, "message": {"type": "text", "id": "1", "text": text}}
    j.con.execute("insert into events (event_id, user_key, user_id, type, occurred_at, received_at, payload) "
                  "values ($id, $k, $u, 'message', $t, $t, $p)",
                  {"id": f"say-{when}", "k": who.key, "u": who.user_id, "t": moment, "p": json.dumps(payload)})
    j._dirty = True


@pytest.fixture
def story(tmp_path):
    j = Journeys(tmp_path / "friend.duckdb")
    aoi = j.friend("Aoi", "parcel_qr", "2026-03-02 21:00")
    j.friend("Ren", "coupon_ad", "2026-03-03 10:00")
    j.delivery("D1", "2026-03-04 12:00", to=["Aoi", "Ren"], kind="multicast", title="春のお知らせ")
    aoi.tap("料金", "2026-03-04 12:30").click("2026-03-04 12:40", delivery="D1", label="詳しく")
    _say(j, aoi, "解約方法を教えてください", "2026-03-05 09:15")
    aoi.answer("肌荒れが気になる", "2026-03-05 09:20").buy("2026-03-06 20:00", amount=4980)
    aoi.block("2026-03-10 08:30").follow("2026-03-12 19:00")
    j.con.execute("insert into friend_tags values ($k, $u, 'concern:肌荒れ', $t, 'survey')",
                  {"k": aoi.key, "u": aoi.user_id, "t": j.at("2026-03-05 09:20")})
    j.con.execute("insert into customers (customer_id, email_hash, line_user_id, orders, revenue) "
                  "values ('C001', $h, $u, 1, 4980)", {"h": email_hash("Aoi@Example.jp"), "u": aoi.user_id})
    j.con.execute("update friends set customer_id = 'C001' where user_key = $k", {"k": aoi.key})
    return j, aoi


def test_the_timeline_reads_back_every_known_event_in_order(story):
    j, aoi = story
    cur = j.cursor()
    found = friend.story(cur, aoi.key)
    line = found["timeline"]
    seen = [(s, k) for s, k in zip(line["source"], line["kind"])]
    assert seen == [("event", "follow"), ("sent", "multicast"), ("event", "richmenu_tap"), ("event", "link_click"),
                    ("event", "message"), ("event", "survey_answer"), ("tag", "survey"), ("event", "purchase"),
                    ("event", "unfollow"), ("event", "refollow")]
    assert list(line["happened_at"]) == sorted(line["happened_at"])
    said = line[line["kind"] == "message"]["detail"].iloc[0]
    assert said == "解約方法を教えてください"                      # their own words, kept from the webhook
    sent = line[line["source"] == "sent"].iloc[0]
    assert (sent["detail"], sent["status"], sent["delivery_id"]) == ("春のお知らせ", "sent", "D1")
    assert float(line[line["kind"] == "purchase"]["amount"].iloc[0]) == 4980
    card = found["profile"]
    assert (card["display_name"], card["route"], card["customer_id"], bool(card["is_following"])) == \
        ("Aoi", "parcel_qr", "C001", True)


def _sent(j: Journeys, who, delivery_id: str, kind: str, when: str, text: str, status: str = "sent") -> None:
    """A delivery of `kind` with its message, and (unless a broadcast, which has no ledger) the friend's
    ledger row with `status`."""
    moment = j.at(when)
    j.con.execute("insert into deliveries (delivery_id, kind, title, status, planned_count, sent_count, messages, "
                  "created_at, sent_at) values ($d, $kind, $d, 'sent', 1, 1, $m, $t, $t)",
                  {"d": delivery_id, "kind": kind, "m": json.dumps([{"type": "text", "text": text}]), "t": moment})
    if kind != "broadcast":
        j.con.execute("insert into delivery_recipients (delivery_id, user_id, user_key, batch_no, retry_key, status, "
                      "sent_at, error) values ($d, $u, $k, 0, $d, $s, $t, $e)",
                      {"d": delivery_id, "u": who.user_id, "k": who.key, "s": status, "e": "400 bad" if status ==
                       "failed" else None, "t": moment if status == "sent" else None})
    j._dirty = True


def test_every_kind_of_message_and_the_scenarios_show_with_content_status_and_next_step(story):
    from dashboard.web import friend_ui

    j, aoi = story
    _sent(j, aoi, "B1", "broadcast", "2026-03-13 12:00", "週末セール")
    _sent(j, aoi, "S1", "step", "2026-03-13 13:00", "ようこそ！")
    _sent(j, aoi, "T1", "test", "2026-03-13 14:00", "テストです")
    _sent(j, aoi, "R1", "reply", "2026-03-13 15:00", "承知しました", status="failed")
    _sent(j, aoi, "P1", "single", "2026-03-13 16:00", "ご案内", status="planned")
    j.con.execute("insert into scenarios (scenario_id, name, \"trigger\", status, settings, created_at) values "
                  "('sc1', 'ようこそ', '{\"type\": \"follow\"}', 'active', '{}', $t), "
                  "('sc2', '休眠', '{\"type\": \"manual\"}', 'active', '{}', $t)", {"t": j.at("2026-03-01 00:00")})
    j.con.execute("insert into scenario_steps values ('sc1', 0, 'welcome', '{}', '[]', null), "
                  "('sc1', 1, '使い方', '{}', '[]', null), ('sc2', 0, null, '{}', '[]', null)")
    j.con.execute("insert into scenario_enrolments (scenario_id, user_id, user_key, step_no, status, next_due_at, "
                  "enrolled_at, last_sent_at, exited_at, exit_reason) values "
                  "('sc1', $u, $k, 1, 'active', $due, $t0, $t1, null, null), "
                  "('sc2', $u, $k, 0, 'exited', null, $t0, null, $t2, 'blocked')",
                  {"u": aoi.user_id, "k": aoi.key, "due": j.at("2026-03-14 12:00"), "t0": j.at("2026-03-12 19:00"),
                   "t1": j.at("2026-03-13 13:00"), "t2": j.at("2026-03-13 17:00")})
    found = friend.story(j.cursor(), aoi.key)
    line = found["timeline"]
    sent = line[line["source"].isin(["sent", "broadcast"])].set_index("delivery_id")
    assert {d: (sent.loc[d, "kind"], sent.loc[d, "content"], sent.loc[d, "status"]) for d in ("B1", "S1", "T1", "R1", "P1")} \
        == {"B1": ("broadcast", "週末セール", "sent"), "S1": ("step", "ようこそ！", "sent"), "T1": ("test", "テストです", "sent"),
            "R1": ("reply", "承知しました", "failed"), "P1": ("single", "ご案内", "planned")}
    changes = [(k, d, s if isinstance(s, str) else None)
               for k, d, s in line[line["source"] == "scenario"][["kind", "detail", "status"]].values.tolist()]
    assert changes == [("enrolled", "ようこそ", None), ("enrolled", "休眠", None), ("exited", "休眠", "blocked")]
    shown = friend_ui.scenarios_frame(found["scenarios"], "Asia/Tokyo", "ja")
    ahead = shown[shown["シナリオ"] == "ようこそ"].iloc[0]
    assert (ahead["状態"], ahead["次のステップ"], ahead["予定日時"]) == ("進行中", "#1 使い方（全2ステップ）", "2026-03-14 12:00")
    assert shown[shown["シナリオ"] == "休眠"].iloc[0]["状態"] == "途中で終了（ブロックしたため）"
    words = friend_ui.timeline_frame(line, "Asia/Tokyo", "en")
    assert {"Received a message (Test send)", "Left a step scenario"} <= set(words["What"])
    assert "Failed" in set(words["Delivery status"])


def test_find_by_name_part_of_the_id_customer_id_and_email_hash(story):
    j, aoi = story
    cur = j.cursor()
    assert friend.search(cur, "ao")["user_id"].tolist() == [aoi.user_id]
    assert friend.search(cur, aoi.user_id[-6:])["user_id"].tolist() == [aoi.user_id]
    assert friend.search(cur, "C001")["user_id"].tolist() == [aoi.user_id]
    assert friend.search(cur, "  aoi@example.JP ")["user_id"].tolist() == [aoi.user_id]   # normalised, hashed
    assert friend.search(cur, "nobody@example.jp").empty and friend.search(cur, "").empty


def test_viewers_see_a_masked_id(story):
    j, aoi = story
    masked = friend.story(j.cursor(), aoi.key, mask=True)["profile"]["user_id"]
    assert masked != aoi.user_id and masked.startswith(aoi.user_id[:5]) and "…" in masked


def test_tags_by_hand_need_an_operator_and_are_audited_and_shown(story):
    j, aoi = story
    con = j.connection()
    with pytest.raises(PermissionDenied):
        friend.add_tag(con, VIEWER, aoi.user_id, "VIP")
    assert friend.add_tag(con, OPERATOR, aoi.user_id, "VIP")
    assert not friend.add_tag(con, OPERATOR, aoi.user_id, "VIP")           # already there: nothing new
    assert friend.remove_tag(con, OPERATOR, aoi.user_id, "concern:肌荒れ")
    with pytest.raises(friend.FriendError):
        friend.add_tag(con, OPERATOR, aoi.user_id, "  ")
    cur = con.cursor()
    assert friend.tags(cur, aoi.user_id)["tag"].tolist() == ["VIP"]
    log = audit.search(cur)
    assert sorted(log["action"]) == ["friend.tag_add", "friend.tag_remove"]
    assert set(log["object"]) == {f"friend:{aoi.user_id}"}
    staff_rows = friend.timeline(cur, aoi.key).query("source == 'staff'")
    assert staff_rows["kind"].tolist() == ["friend.tag_add", "friend.tag_remove"]


def test_one_message_to_one_friend_goes_through_the_engine_to_the_sandbox(story, sandbox):
    j, aoi = story
    con, cur = j.connection(), j.cursor()
    clients = api.clients(sandbox.url, "token")
    with pytest.raises(PermissionDenied):
        one_friend.send(con, cur, OPERATOR, aoi.key, [{"type": "text", "text": "こんにちは"}], clients)
    with pytest.raises(one_friend.SendRefused) as refused:
        one_friend.send(con, cur, SENDER, aoi.key, [{"type": "text", "text": "x" * 5001}], clients)
    assert [code for code, _ in refused.value.problems] == ["limit"]
    report = one_friend.send(con, cur, SENDER, aoi.key, [{"type": "text", "text": "ご質問ありがとうございます"}], clients)
    assert (report.status, report.sent, report.failed) == ("sent", 1, 0)
    inbox = sandbox.get(f"/sandbox/inbox?user_id={aoi.user_id}")["requests"]
    assert [(r["kind"], r["messages"][0]["text"]) for r in inbox] == [("push", "ご質問ありがとうございます")]
    assert sandbox.summary()["recipients"] == 1
    ledger = cur.execute("select d.kind, r.status, r.retry_key from delivery_recipients r join deliveries d "
                         "using (delivery_id) where d.kind = 'single'").fetchall()
    assert len(ledger) == 1 and ledger[0][:2] == ("single", "sent") and ledger[0][2]
    assert sorted(audit.search(cur)["action"]) == ["friend.send", "friend.send.refused"]
    sent = friend.timeline(cur, aoi.key).query("source == 'sent' and kind == 'single'")
    assert sent["content"].tolist() == ["ご質問ありがとうございます"] and sent["status"].tolist() == ["sent"]


def test_a_blocked_friend_gets_nothing(story, sandbox):
    j, aoi = story
    aoi.block("2026-03-20 10:00")
    con, cur = j.connection(), j.cursor()
    with pytest.raises(one_friend.SendRefused) as refused:
        one_friend.send(con, cur, SENDER, aoi.key, [{"type": "text", "text": "hi"}], api.clients(sandbox.url, "token"))
    assert [code for code, _ in refused.value.problems] == ["not_following"]
    assert sandbox.summary()["recipients"] == 0


def test_the_command_line_shows_the_same_story(story, tmp_path, capsys):
    from dashboard.__main__ import main

    j, aoi = story
    j.cursor().close()                      # rollups refreshed, then the file is let go
    j.con.close()
    db = str(tmp_path / "friend.duckdb")
    assert main(["friend", "show", aoi.user_id, "--db", db, "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["profile"]["user_id"] == aoi.user_id
    assert [row["kind"] for row in shown["timeline"]][:3] == ["follow", "multicast", "richmenu_tap"]
    assert main(["friend", "show", aoi.user_id, "--db", db]) == 0
    text = capsys.readouterr().out
    assert "解約方法を教えてください" in text and "2026-03-05 09:15:00" in text   # account time zone
    assert main(["friend", "show", "U" + "0" * 32, "--db", db]) == 1


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_friend_page_speaks_one_language(demo_db, tmp_path, sandbox, monkeypatch, lang):
    from tests.test_languages import account_words, foreign, texts_of

    db = tmp_path / "friend_page.duckdb"
    shutil.copy(demo_db, db)
    from dashboard.core import storage

    con = storage.connect(db, read_only=True)
    try:   # the friend's own name is shown as it is (their data), like the account's words
        names = {r[0] for r in con.execute("select display_name from friends where user_key = 1").fetchall() if r[0]}
    finally:
        con.close()
    words = account_words(db) | names | {part for n in names for part in n.split()}
    monkeypatch.setenv("DASHBOARD_DB", str(db))
    monkeypatch.setenv("LINE_API_BASE_URL", sandbox.url)
    monkeypatch.setenv("DASHBOARD_SINGLE_USER", "true")
    at = AppTest.from_file(str(NAV), default_timeout=90)
    at.session_state["lang"] = lang
    at.run()
    at.query_params["k"] = "1"
    at.switch_page("../../pages/friend.py").run()
    assert not at.exception, at.exception
    assert at.dataframe and len(at.dataframe[0].value) > 0        # the timeline of friend 1
    bad = sorted({w for s in texts_of(at) for w in foreign(s, lang, words)})
    assert bad == []


def test_a_friend_who_just_wrote_gets_a_free_reply_once_then_pushes(story, sandbox):
    import datetime as dt

    j, aoi = story
    just_now = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=10)
    _say(j, aoi, "今日の営業時間は？", just_now.astimezone(dt.timezone(dt.timedelta(hours=9))).strftime("%Y-%m-%d %H:%M:%S"),
         reply_token="rt-now")
    sandbox.configure(reply_tokens={"rt-now": aoi.user_id})
    con, cur = j.connection(), j.cursor()
    clients = api.clients(sandbox.url, "token")
    assert one_friend.mode(cur, aoi.key) == "reply"
    report = one_friend.send(con, cur, SENDER, aoi.key, [{"type": "text", "text": "10時から19時です"}], clients)
    assert (report.status, report.sent) == ("sent", 1), report
    assert one_friend.mode(cur, aoi.key) == "push"               # the token works once
    one_friend.send(con, cur, SENDER, aoi.key, [{"type": "text", "text": "またどうぞ"}], clients)
    inbox = sandbox.get(f"/sandbox/inbox?user_id={aoi.user_id}")["requests"]
    assert [(r["kind"], r["messages"][0]["text"]) for r in inbox] == [("reply", "10時から19時です"), ("push", "またどうぞ")]
    kinds = cur.execute("select kind from deliveries where delivery_id like 'one_%' order by created_at").fetchall()
    assert [k for (k,) in kinds] == ["reply", "single"]
    assert sandbox.summary()["usage"] == 1      # the push counts against the quota, the reply does not


def test_an_old_message_is_answered_by_push(story):
    j, aoi = story
    assert one_friend.mode(j.cursor(), aoi.key) == "push"   # 2026-03-05: long past a minute


def test_the_audit_log_links_a_friend_by_user_id_and_the_page_opens_it(story, tmp_path, monkeypatch):
    from dashboard.web import friend_ui

    j, aoi = story
    friend.add_tag(j.connection(), OPERATOR, aoi.user_id, "VIP")
    j.cursor().close()
    j.con.close()
    assert friend_ui.link_to_user(f"friend:{aoi.user_id}") == f"friend?u={aoi.user_id}"
    assert friend_ui.link_to_user("delivery:D1") is None
    monkeypatch.setenv("DASHBOARD_DB", str(tmp_path / "friend.duckdb"))
    monkeypatch.setenv("DASHBOARD_SINGLE_USER", "true")
    at = AppTest.from_file(str(NAV), default_timeout=90)
    at.run()
    at.switch_page("../../pages/audit.py").run()
    assert not at.exception, at.exception
    assert f"friend?u={aoi.user_id}" in list(at.dataframe[0].value["friend"])
    at.query_params["u"] = aoi.user_id
    at.switch_page("../../pages/friend.py").run()
    assert not at.exception and any("Aoi" in s.value for s in at.subheader)


def test_a_reply_whose_answer_was_lost_is_unknown_never_failed(story, sandbox):
    """LINE accepted the reply and the answer was lost (a 500 after accepting): the retry's token is
    spent, so its 400 says nothing about delivery. The batch is unknown, not failed: failed would
    invite a second send of a message the friend already has."""
    import datetime as dt

    j, aoi = story
    just_now = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=10)
    _say(j, aoi, "予約できますか", just_now.astimezone(dt.timezone(dt.timedelta(hours=9))).strftime("%Y-%m-%d %H:%M:%S"),
         reply_token="rt-lost")
    sandbox.configure(reply_tokens={"rt-lost": aoi.user_id}, p500_after=1.0)
    con, cur = j.connection(), j.cursor()
    clients = api.clients(sandbox.url, "token")
    assert one_friend.mode(cur, aoi.key) == "reply"
    one_friend.send(con, cur, SENDER, aoi.key, [{"type": "text", "text": "はい、できます"}], clients)
    statuses = cur.execute("select r.status from delivery_recipients r join deliveries d using (delivery_id) "
                           "where d.kind = 'reply'").fetchall()
    assert statuses == [("unknown",)], statuses
    assert len(sandbox.get(f"/sandbox/inbox?user_id={aoi.user_id}")["requests"]) == 1   # delivered once


def _search_reference(friends_rows, text: str) -> list[int]:
    """The search's rules restated in plain Python (friend/search.sql): the display name contains the
    text in any case; a part of the user ID when the text is 4+ characters of hex (optionally after
    U or u); the customer ID exactly, or a part of it in any case when the text is 2+ ASCII characters.
    Best first: exact ID or customer ID, exact name, name starting with the text, the rest; newest
    (highest key) first within each."""
    q = text.strip()
    if not q:
        return []
    lq = q.lower()
    id_like = len(q) >= 4 and all(c in "0123456789abcdefABCDEF" for c in (q[1:] if q[0] in "Uu" else q))
    id_text = "U" + lq[1:] if lq.startswith("u") else lq
    ascii_ = len(q) >= 2 and all(" " <= c <= "~" for c in q)
    hits = []
    for key, user_id, name, customer in friends_rows:
        lname = (name or "").lower()
        if not (lq in lname or customer == q or (id_like and id_text in user_id)
                or (ascii_ and customer is not None and lq in customer.lower())):
            continue
        rank = 1 if q in (user_id, customer) else 2 if lname == lq else 3 if lname.startswith(lq) else 4
        hits.append((rank, -key))
    return [-k for _, k in sorted(hits)]


def test_search_matches_its_rules_and_says_when_there_are_more(tmp_path):
    """The search over generated friends equals the plain-Python reference of its rules, in order;
    a text that cannot be part of a LINE user ID never matches one; the first `limit` are shown and
    attrs["more"] says that more matched."""
    import random

    from dashboard.core import storage

    rng = random.Random(15)
    names = ["小林 舞", "小林 花子", "鈴木 一郎", "Taro Yamada", "taro", "TARO", None, "さくら", "Ab12", "渡辺 蓮"]
    con = storage.connect(tmp_path / "search.duckdb")
    rows = []
    for key in range(1, 301):
        user_id = "U" + "".join(rng.choice("0123456789abcdef") for _ in range(32))
        customer = rng.choice([None, None, f"C-{key:04d}", f"c{key}x", "顧客A1"])
        rows.append((key, user_id, rng.choice(names), customer))
    con.executemany("insert into friends (user_key, user_id, display_name, followed_at, is_following, customer_id) "
                    "values (?, ?, ?, '2026-03-01 00:00+00', true, ?)", rows)
    cur = con.cursor()
    texts = ["小林", "小林 舞", "taro", "TARO", "ab12", "AB12", "c-00", "C-0042", "顧客A1", "顧客", "x", " さくら ",
             rows[7][1], rows[7][1][5:13], rows[7][1][5:13].upper(), "u" + rows[9][1][1:9], rows[3][1][-4:], "zzzz"]
    for text in texts:
        found = friend.search(cur, text, limit=1000)
        assert found["user_key"].tolist() == _search_reference(rows, text), text
        assert found.attrs["more"] is False
    assert friend.search(cur, "zzzz").empty   # not hex: no user ID is read, and no name has it
    first = friend.search(cur, "小林", limit=3)
    assert first["user_key"].tolist() == _search_reference(rows, "小林")[:3] and first.attrs["more"] is True
    con.close()


def test_the_page_shows_the_newest_matches_and_says_more_matched(demo_db, tmp_path, sandbox, monkeypatch):
    from dashboard.core import storage

    db = tmp_path / "friend_search.duckdb"
    shutil.copy(demo_db, db)
    con = storage.connect(db, read_only=True)
    try:   # the demo's most common family name, and the newest friends who carry it
        family = con.execute("select split_part(display_name, ' ', 1) as f from friends group by f "
                             "order by count(*) desc, f limit 1").fetchone()[0]
        newest = con.execute("select user_key, user_id from friends where contains(display_name, $f) "
                             "order by user_key desc limit 20", {"f": family}).fetchall()
    finally:
        con.close()
    monkeypatch.setenv("DASHBOARD_DB", str(db))
    monkeypatch.setenv("LINE_API_BASE_URL", sandbox.url)
    monkeypatch.setenv("DASHBOARD_SINGLE_USER", "true")
    at = AppTest.from_file(str(NAV), default_timeout=90)
    at.run()
    at.switch_page("../../pages/friend.py").run()
    at.text_input(key="fr_search").input(family).run()
    assert not at.exception, at.exception
    pick = at.selectbox(key="fr_pick")
    assert [o.rsplit("(", 1)[1].rstrip(")") for o in pick.options] == [u for _, u in newest]
    assert pick.value == newest[0][0]   # the newest match is opened first
    assert any("新しく友だちになった順に20人" in c.value for c in at.caption)
