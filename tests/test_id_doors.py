"""User IDs are checked where they enter: sync's follower list and profile look-ups, test
recipients, CSV imports. A value of another shape is refused with a reason and goes no further."""
from __future__ import annotations

import datetime as dt

import pytest

from dashboard.messaging import actions, staff
from dashboard.intake import imports, sync
from dashboard.line import api
from dashboard.core import storage
from dashboard.access.roles import User
from tests.test_sync import add_friend, calls, users

ALICE = User("alice", "sender", "local")
ADMIN = User("ada", "admin", "local")
NOON_JST = dt.datetime.now(dt.timezone.utc).replace(hour=3, minute=0, second=0, microsecond=0)  # 12:00 JST
BAD = ["U" + "A" * 32, "not-a-line-id", "U123", "C" + "0" * 32, "../../v2/bot/message/push"]


@pytest.fixture
def db(tmp_path):
    con = storage.connect(tmp_path / "doors.duckdb")
    yield con
    con.close()


@pytest.fixture
def clients(sandbox):
    c = api.clients(sandbox.url, "token")
    yield c
    c.close()


def test_sync_stores_only_line_user_ids_from_the_follower_list(db, sandbox, clients):
    good = users(20, prefix="a")
    sandbox.configure(followers=good + BAD)
    result = sync.run(db, ["followers"], now=dt.datetime.now(dt.timezone.utc), clients=clients)[0]
    assert result.status == "ok"
    assert "5 listed IDs refused: not LINE user IDs" in result.message
    stored = {u for (u,) in db.execute("select user_id from friends").fetchall()}
    assert stored == set(good)


def test_sync_never_puts_a_malformed_id_into_a_profile_url(db, sandbox, clients):
    add_friend(db, 1, users(1, prefix="b")[0])
    add_friend(db, 2, "../../v2/bot/message/push")   # from before the checks
    result = sync.run(db, ["profiles"], now=dt.datetime.now(dt.timezone.utc), clients=clients)[0]
    assert "1 not looked up: not LINE user IDs" in result.message
    assert [c["path"] for c in sandbox.get("/sandbox/calls?path=/v2/bot/")["calls"]] == \
        [f"/v2/bot/profile/{users(1, prefix='b')[0]}"]


def test_a_test_send_to_a_malformed_id_sends_to_nobody(db, sandbox, clients):
    """Test recipients come from the staff list, whose door refuses other shapes; a value that is
    not on the list (a typo included) is refused by the server and nothing is planned."""
    cur = db.cursor()
    good = users(1, prefix="c")[0]
    with pytest.raises(staff.StaffError):
        staff.add(cur, ADMIN, "U-typo")
    staff.add(cur, ADMIN, good)
    with pytest.raises(actions.TestSendRefused) as err:
        actions.test_send(db, cur, ALICE, [good, "U-typo"], [{"type": "text", "text": "テスト"}], clients,
                                  now=NOON_JST)
    assert [code for code, _ in err.value.problems] == ["not_staff"]
    assert db.execute("select count(*) from deliveries").fetchone()[0] == 0
    assert sandbox.summary()["recipients"] == 0
    report = actions.test_send(db, cur, ALICE, [good], [{"type": "text", "text": "テスト"}], clients,
                                       now=NOON_JST)
    assert report.status == "sent" and sandbox.summary()["recipients"] == 1


def test_csv_rows_with_other_shapes_are_listed_with_the_reason(db):
    good = users(1, prefix="d")[0]
    add_friend(db, 1, good)
    body = "user_id,tag\n" + good + ",vip\n" + "".join(f"{b},vip\n" for b in BAD)
    report = imports.run_import(db, "tags", body.encode(), file_name="tags.csv")
    assert [line for line, _ in report.bad_rows] == [3, 4, 5, 6, 7]
    assert all("is not a LINE user ID" in reason for _, reason in report.bad_rows)
