"""Issue 12 point 1: test sends reach only the admin's staff list, with every check on the server —
through the Python API, the send engine, the CLI and the pages (AppTest), against the real sandbox."""
from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.core import audit, storage
from dashboard.messaging import actions, sending, staff
from dashboard.line import api
from dashboard.access.roles import PermissionDenied, User

ROOT = Path(__file__).resolve().parent.parent
NAV = ROOT / "dashboard" / "web" / "navigation.py"
ADMIN, OLGA = User("boss", "admin", "local"), User("olga", "operator", "local")
NOON_JST = dt.datetime(2026, 12, 2, 3, 0, tzinfo=dt.timezone.utc)
NIGHT_JST = dt.datetime(2026, 12, 2, 14, 0, tzinfo=dt.timezone.utc)   # 23:00 in Tokyo: quiet hours 22-8
MESSAGES = [{"type": "text", "text": "テスト送信です"}]


def uid(i: int) -> str:
    return "U" + uuid.UUID(int=i).hex


@pytest.fixture
def db(tmp_path):
    con = storage.connect(tmp_path / "staff.duckdb")
    cur = con.cursor()
    yield con, cur
    cur.close()
    con.close()


def test_only_an_admin_keeps_the_list_ids_are_checked_it_is_capped_and_audited(db, monkeypatch):
    con, cur = db
    monkeypatch.setenv("DASHBOARD_STAFF_MAX", "2")
    with pytest.raises(PermissionDenied):
        staff.add(cur, OLGA, uid(1), "me")
    with pytest.raises(staff.StaffError) as bad:
        staff.add(cur, ADMIN, "U123", "x")
    assert bad.value.code == "bad_id"
    staff.add(cur, ADMIN, uid(1), "Sato")
    staff.add(cur, ADMIN, uid(2), "Suzuki")
    staff.add(cur, ADMIN, uid(2), "Suzuki (CRM)")  # a relabel is not a new member
    with pytest.raises(staff.StaffError) as full:
        staff.add(cur, ADMIN, uid(3))
    assert full.value.code == "full" and full.value.params == {"n": 2}
    assert staff.members(cur)["label"].tolist() == ["Sato", "Suzuki (CRM)"]
    with pytest.raises(PermissionDenied):
        staff.remove(cur, OLGA, uid(1))
    assert staff.remove(cur, ADMIN, uid(1)) and not staff.remove(cur, ADMIN, uid(1))
    assert staff.ids(cur) == [uid(2)]
    log = audit.search(cur)
    assert sorted(log["action"]) == ["staff.add", "staff.add", "staff.add", "staff.remove"]
    assert set(log["actor"]) == {"boss"}


def _codes(excinfo) -> list[str]:
    return [code for code, _ in excinfo.value.problems]


def test_an_operator_cannot_reach_friends_or_skip_any_check_through_the_api(db, sandbox, monkeypatch):
    con, cur = db
    clients = api.clients(sandbox.url, "token")
    staff.add(cur, ADMIN, uid(1), "Sato")
    friends = [uid(i) for i in range(100, 1100)]
    # the reproduction of the issue: 1,000 friends and forbidden terms, by an operator, via the Python API
    with pytest.raises(actions.TestSendRefused) as refused:
        actions.test_send(con, cur, OLGA, friends, [{"type": "text", "text": "ギャンブル 出会い系"}],
                                  clients, now=NOON_JST)
    assert set(_codes(refused)) == {"too_many", "not_staff", "forbidden"}
    with pytest.raises(actions.TestSendRefused) as night:
        actions.test_send(con, cur, OLGA, [uid(1)], MESSAGES, clients, now=NIGHT_JST)
    assert _codes(night) == ["quiet_hours"]
    with pytest.raises(actions.TestSendRefused) as limits:
        actions.test_send(con, cur, OLGA, [uid(1)], [{"type": "text", "text": "x" * 5001}], clients,
                                  now=NOON_JST)
    assert _codes(limits) == ["limit"]
    with pytest.raises(actions.TestSendRefused) as nobody:
        actions.test_send(con, cur, OLGA, [], MESSAGES, clients, now=NOON_JST)
    assert _codes(nobody) == ["none"]
    assert cur.execute("select count(*) from deliveries").fetchone()[0] == 0
    assert sandbox.summary()["recipients"] == 0
    refusals = audit.search(cur, action="test_send.refused")
    assert len(refusals) == 4
    # a staff member, within the rules: it goes, by push, to them only
    report = actions.test_send(con, cur, OLGA, [uid(1)], MESSAGES, clients, now=NOON_JST)
    assert report.status == "sent" and report.sent == 1
    assert [r["kind"] for r in sandbox.get("/sandbox/inbox")["requests"]] == ["push"]


def test_the_test_send_cap_per_staff_member(db, sandbox, monkeypatch):
    con, cur = db
    monkeypatch.setenv("DASHBOARD_TEST_SENDS_PER_DAY", "2")
    clients = api.clients(sandbox.url, "token")
    staff.add(cur, ADMIN, uid(1))
    now = dt.datetime.now(dt.timezone.utc).replace(hour=3)  # noon in Tokyo, today (the cap counts real sends)
    for _ in range(2):
        actions.test_send(con, cur, OLGA, [uid(1)], MESSAGES, clients, now=now)
    with pytest.raises(actions.TestSendRefused) as capped:
        actions.test_send(con, cur, OLGA, [uid(1)], MESSAGES, clients, now=now)
    assert capped.value.problems == [("test_cap", {"n": 1, "cap": 2})]


def test_the_engine_refuses_a_test_delivery_planned_around_the_checks(db, sandbox):
    con, cur = db
    staff.add(cur, ADMIN, uid(1))
    sending.plan(con, delivery_id="t_backdoor", user_ids=[uid(1), uid(500)], messages=MESSAGES, kind="test")
    report = sending.run(con, "t_backdoor", api.clients(sandbox.url, "token"))
    assert report.status == "failed" and report.sent == 0
    assert sandbox.summary()["recipients"] == 0


def test_cli_staff_add_list_remove(tmp_path):
    db = tmp_path / "cli.duckdb"

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "dashboard", "staff", *args, "--db", str(db)],
                              cwd=ROOT, capture_output=True, text=True, timeout=60)

    added = cli("add", uid(7), "--label", "佐藤")
    assert added.returncode == 0 and uid(7) in added.stdout and "佐藤" in added.stdout
    bad = cli("add", "not-an-id")
    assert bad.returncode == 1 and "is not a LINE user ID" in bad.stderr and "Traceback" not in bad.stderr
    assert cli("remove", uid(8)).returncode == 1
    assert cli("remove", uid(7)).returncode == 0 and uid(7) not in cli("list").stdout
    con = storage.connect(db)
    actors = {r[0] for r in con.execute("select actor from audit_log where action like 'staff.%'").fetchall()}
    con.close()
    assert len(actors) == 1 and actors.pop().startswith("cli:")


# ---- the pages --------------------------------------------------------------------------------

ROLES = "op@example.jp=operator,boss@example.jp=admin"
SECRETS = """
[auth]
redirect_uri = "http://localhost:8501/oauth2callback"
cookie_secret = "test-cookie-secret-not-used-here"
client_id = "dashboard"
client_secret = "x"
server_metadata_url = "https://idp.example.jp/.well-known/openid-configuration"
"""


@pytest.fixture
def shared(demo_db, tmp_path, monkeypatch, sandbox):
    db = tmp_path / "pages.duckdb"
    shutil.copy(demo_db, db)
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(SECRETS, encoding="utf-8")
    for name, value in {"DASHBOARD_DB": str(db), "DASHBOARD_SECRETS_FILE": str(secrets), "DASHBOARD_OIDC_ROLES": ROLES,
                        "LINE_API_BASE_URL": sandbox.url, "DASHBOARD_QUIET_HOURS": "off"}.items():
        monkeypatch.setenv(name, value)
    return db, sandbox


def session(email: str) -> AppTest:
    at = AppTest.from_file(str(NAV), default_timeout=90)
    at.user = {"is_logged_in": True, "email": email, "email_verified": True}
    at.run()
    assert not at.exception, at.exception
    return at


def test_admin_keeps_the_list_on_the_audit_page_and_compose_offers_only_it(shared):
    db, sandbox = shared
    at = session("boss@example.jp")
    at.switch_page("../../pages/audit.py").run()
    at.text_input(key="staff_user_id").input("U123")
    at.get("form_submit_button")[0].click().run()
    assert any("LINEユーザーIDの形" in e.value for e in at.error)
    at.text_input(key="staff_user_id").input(uid(1))
    at.text_input(key="staff_label").input("佐藤（販促）")
    at.get("form_submit_button")[0].click().run()
    assert not at.exception, at.exception
    assert any("追加しました" in s.value for s in at.success)
    with storage.connect(db) as con:
        assert con.execute("select user_id, label, added_by from staff_recipients").fetchall() == \
            [(uid(1), "佐藤（販促）", "boss@example.jp")]
        friend = con.execute("select user_id from friends where is_following limit 1").fetchone()[0]

    op = session("op@example.jp")
    op.switch_page("../../pages/compose.py").run()
    op.radio(key="cmp_kind").set_value("all").run()
    op.text_area(key="msg_0_text").set_value("新商品のお知らせ").run()
    picker = op.multiselect(key="cmp_testers")
    assert picker.options == [f"佐藤（販促） ({uid(1)[:9]}…)"]   # no free text: friends cannot be typed in
    op.button(key="cmp_test").click().run()
    assert any("スタッフ一覧から" in e.value for e in op.error)   # nobody picked: refused on the server
    picker.set_value([uid(1)]).run()
    op.button(key="cmp_test").click().run()
    assert not op.exception, op.exception
    inbox = sandbox.get("/sandbox/inbox")["requests"]
    assert inbox and {r["kind"] for r in inbox} == {"push"} and friend not in str(inbox)
    assert len(sandbox.get(f"/sandbox/inbox?user_id={uid(1)}")["requests"]) == len(inbox)
