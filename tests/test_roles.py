"""Roles under AppTest (OIDC users via AppTest.user): what each role sees and may do, a page refused
by URL, a shared server without log-in, and the two-person approval of a large send end to end."""
from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.core import storage

ROOT = Path(__file__).resolve().parent.parent
NAV = ROOT / "dashboard" / "web" / "navigation.py"
ROLES = "viewer@example.jp=viewer,op@example.jp=operator,s1@example.jp=sender,s2@example.jp=sender," \
        "boss@example.jp=admin,@example.jp=viewer"
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
    """A shared server: OIDC configured, roles from e-mail addresses; a private database copy."""
    db = tmp_path / "roles.duckdb"
    shutil.copy(demo_db, db)
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(SECRETS, encoding="utf-8")
    for name, value in {"DASHBOARD_DB": str(db), "DASHBOARD_SECRETS_FILE": str(secrets), "DASHBOARD_OIDC_ROLES": ROLES,
                        "LINE_API_BASE_URL": sandbox.url, "DASHBOARD_QUIET_HOURS": "off",
                        "DASHBOARD_FREQUENCY_CAP": "50", "DASHBOARD_CONFIRM_TYPE_ABOVE": "100000",
                        "DASHBOARD_APPROVAL_RECIPIENTS": "100"}.items():
        monkeypatch.setenv(name, value)
    return db, sandbox


def session(email: str | None, script: Path = NAV) -> AppTest:
    at = AppTest.from_file(str(script), default_timeout=90)
    at.user = {"is_logged_in": email is not None, "email": email, "email_verified": True} if email else {"is_logged_in": False}
    at.run()
    assert not at.exception, at.exception
    return at


def _registered(at) -> set[str]:
    """The pages st.navigation registered for this session (app.py exists but is never a page)."""
    try:
        at.switch_page("../../app.py")
    except ValueError as exc:  # the message lists the registered pages
        return {Path(p).stem for p in re.findall(r"'([^']+\.py)'", str(exc).split("Known pages:")[1])}
    return set()


def test_viewer_reads_pages_without_exports_or_write_pages(shared):
    at = session("viewer@example.jp")
    assert _registered(at) == {"overview", "acquisition", "funnel", "cohorts", "engagement", "deliveries", "segments",
                               "health", "friend", "crosstab", "send_time", "scenarios"}
    assert any("閲覧者" in c.value for c in at.caption)  # who is logged in, with the role
    at.switch_page("../../pages/acquisition.py").run()
    assert not at.exception and not at.get("download_button")  # no CSV for viewers
    at.switch_page("../../pages/segments.py").run()
    assert not at.exception and not at.get("download_button")


def test_a_page_reached_by_url_is_refused_for_the_role(shared):
    at = session("viewer@example.jp", ROOT / "pages" / "compose.py")  # the page script itself, as a URL would
    assert [e.value for e in at.error] == ["このページを開く権限がありません（管理者に役割の変更を依頼してください）。"]
    assert not at.metric and not at.button


def test_unmapped_or_logged_out_users_see_no_data(shared, monkeypatch):
    monkeypatch.setenv("DASHBOARD_OIDC_ROLES", "boss@example.jp=admin")
    at = session("stranger@elsewhere.jp")
    assert _registered(at) == {"login_page"} or not at.metric
    assert any("役割が割り当てられていません" in w.value for w in at.warning)
    at = session(None)
    assert not at.metric and any(b.label == "会社のアカウントでログイン" for b in at.button)


def test_shared_server_without_log_in_shows_nothing_and_explains(demo_copy, tmp_path, monkeypatch):
    monkeypatch.setenv("DASHBOARD_DB", str(demo_copy))
    monkeypatch.setenv("DASHBOARD_SECRETS_FILE", str(tmp_path / "none.toml"))
    monkeypatch.setenv("DASHBOARD_SHARED", "true")
    at = session(None)
    assert not at.metric and not at.get("plotly_chart")
    assert any("ログインが設定されておらず" in e.value for e in at.error)
    monkeypatch.setenv("DASHBOARD_SHARED", "false")
    monkeypatch.setenv("DASHBOARD_SINGLE_USER", "false")
    at = session(None)  # loopback, no proxy headers, but single-user mode not asked for: fail closed
    assert not at.metric and not at.get("plotly_chart") and "audit" not in _registered(at)
    assert any("ログインが設定されておらず" in e.value for e in at.error)
    monkeypatch.setenv("DASHBOARD_SINGLE_USER", "true")
    at = session(None)  # loopback, no log-in configured, single-user mode: the local user is admin
    assert "audit" in _registered(at)


def test_operator_prepares_and_tests_but_cannot_send(shared):
    at = session("op@example.jp")
    assert _registered(at) >= {"compose", "data"} and "audit" not in _registered(at)
    at.switch_page("../../pages/compose.py").run()
    at.radio(key="cmp_kind").set_value("all").run()
    at.text_area(key="msg_0_text").set_value("新商品のお知らせ").run()
    assert not at.exception, at.exception
    assert at.button(key="cmp_confirm").disabled
    assert any("送信担当者（sender）" in i.value for i in at.info)


def _compose_all(at, text: str) -> int:
    at.switch_page("../../pages/compose.py").run()
    at.radio(key="cmp_kind").set_value("all").run()
    at.text_area(key="msg_0_text").set_value(text).run()
    assert not at.exception, at.exception
    return int(next(m for m in at.metric if m.label == "配信人数").value.replace(",", ""))


def test_large_send_needs_a_second_sender_and_goes_out_once_approved(shared):
    db, sandbox = shared
    s1 = session("s1@example.jp")
    recipients = _compose_all(s1, "大型セールのお知らせ")
    assert recipients > 100
    s1.button(key="cmp_confirm").click().run()
    assert any("承認が必要" in i.value for i in s1.info)
    s1.button(key="cmp_go").click().run()
    assert not s1.exception, s1.exception
    time.sleep(1.5)
    assert sandbox.summary()["recipients"] == 0  # nothing goes out on one person's click
    con = storage.connect(db)  # the app holds the file in this process: same configuration
    delivery_id, status = con.execute("select delivery_id, status from deliveries where created_by = 's1@example.jp'").fetchone()
    con.close()
    assert status == "awaiting_approval"
    # the requester sees the request but cannot approve it
    s1 = session("s1@example.jp")
    s1.switch_page("../../pages/compose.py").run()
    s1.button(key=f"appr_ok_{delivery_id}").click().run()
    assert any("自分の配信は承認できません" in e.value for e in s1.error)
    # an operator does not even see the approvals; a second sender approves and it goes out
    op = session("op@example.jp")
    op.switch_page("../../pages/compose.py").run()
    assert not [b for b in op.button if b.key == f"appr_ok_{delivery_id}"]
    s2 = session("s2@example.jp")
    s2.switch_page("../../pages/compose.py").run()
    s2.button(key=f"appr_ok_{delivery_id}").click().run()
    assert not s2.exception, s2.exception
    deadline = time.monotonic() + 60
    while sandbox.summary()["recipients"] < recipients and time.monotonic() < deadline:
        time.sleep(0.2)
    summary = sandbox.summary()
    assert summary["recipients"] == recipients and summary["duplicates"] == []
    con = storage.connect(db)  # the app holds the file in this process: same configuration
    assert con.execute("select approved_by from deliveries where delivery_id = $d", {"d": delivery_id}).fetchone() == (
        "s2@example.jp",)
    actions = [r[0] for r in con.execute("select action from audit_log where object = $o order by \"at\"",
                                         {"o": f"delivery:{delivery_id}"}).fetchall()]
    con.close()
    assert actions == ["send.request", "approval.request", "approval.approve"]
    # the admin's audit page shows who did what
    boss = session("boss@example.jp")
    boss.switch_page("../../pages/audit.py").run()
    assert not boss.exception, boss.exception
    table = boss.dataframe[0].value
    assert {"s1@example.jp", "s2@example.jp"} <= set(table["actor"])


def test_an_edit_after_approval_stops_the_send_on_the_server(demo_copy, sandbox, monkeypatch, tmp_path):
    """The engine itself refuses: messages changed after the approval void it, whatever the UI did."""
    import json

    from dashboard.messaging import approvals, sending
    from dashboard.access import roles
    from dashboard.line import api

    secrets = tmp_path / "secrets.toml"
    secrets.write_text(SECRETS, encoding="utf-8")
    monkeypatch.setenv("DASHBOARD_SECRETS_FILE", str(secrets))
    monkeypatch.setenv("DASHBOARD_OIDC_ROLES", ROLES)
    monkeypatch.setenv("DASHBOARD_APPROVAL_RECIPIENTS", "2")
    con = storage.connect(demo_copy)
    users = [r[0] for r in con.execute("select user_id from friends where is_following limit 5").fetchall()]
    sending.plan(con, delivery_id="d_big", user_ids=users, messages=[{"type": "text", "text": "A"}],
                 created_by="s1@example.jp", status="awaiting_approval")
    cur = con.cursor()
    clients = api.clients(sandbox.url, "token")
    assert sending.run(con, "d_big", clients).status == "awaiting_approval"  # not approved: nothing sent
    approvals.request(cur, "d_big", roles.User("s1@example.jp", "sender", "oidc"))
    approvals.approve(cur, "d_big", roles.User("s2@example.jp", "sender", "oidc"))
    sending.release(con, "d_big")
    cur.execute("update deliveries set messages = $m where delivery_id = 'd_big'",
                {"m": json.dumps([{"type": "text", "text": "B"}])})
    report = sending.run(con, "d_big", clients)
    clients.close()
    assert report.status == "awaiting_approval" and sandbox.summary()["recipients"] == 0
    assert approvals.state(cur, "d_big") == "voided"
    con.close()
