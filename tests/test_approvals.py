"""Two-person approval of large sends (dashboard/messaging/approvals.py) on a real DuckDB file with real
ledgers planned by the send engine."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from dashboard.messaging import approvals, sending
from dashboard.core import audit, storage
from dashboard.access.roles import PermissionDenied, User

ALICE = User("alice", "sender", "local")      # plans and requests
BOB = User("bob", "sender", "local")          # approves
ADA = User("ada@example.jp", "admin", "oidc")
OLGA = User("olga", "operator", "local")
VIC = User("vic", "viewer", "local")
MESSAGES = [{"type": "text", "text": "冬のセール 20% OFF"}]
AUDIENCE = [f"U{i:032x}" for i in range(40)]


@pytest.fixture
def con(tmp_path):
    con = storage.connect(tmp_path / "x.duckdb")
    yield con
    con.close()


@pytest.fixture
def cur(con):
    cursor = con.cursor()
    yield cursor
    cursor.close()


def plan(con, delivery_id="dlv_big", created_by="alice", users=AUDIENCE, **kwargs) -> str:
    sending.plan(con, delivery_id=delivery_id, user_ids=users, messages=MESSAGES, created_by=created_by,
                 segment_id="seg_winter", **kwargs)
    return delivery_id


def test_needs_approval_is_strictly_above_either_threshold(monkeypatch):
    monkeypatch.setenv("DASHBOARD_APPROVAL_RECIPIENTS", "10000")
    monkeypatch.setenv("DASHBOARD_APPROVAL_YEN", "30000")
    assert not approvals.needs_approval(10_000, 30_000)
    assert approvals.needs_approval(10_001, 0)
    assert approvals.needs_approval(10, 30_000.5)
    assert not approvals.needs_approval(0, 0)


def test_request_then_a_second_sender_approves(con, cur):
    delivery = plan(con)
    assert approvals.state(cur, delivery) is None
    assert approvals.request(cur, delivery, ALICE) == "pending"
    assert approvals.request(cur, delivery, ALICE) == "pending", "asking again changes nothing"
    waiting = approvals.pending(cur)
    assert waiting[["delivery_id", "recipients", "requested_by"]].values.tolist() == [[delivery, 40, "alice"]]
    approvals.approve(cur, delivery, BOB)
    assert approvals.state(cur, delivery) == "approved"
    assert approvals.is_valid(cur, delivery)
    assert cur.execute("select approved_by from deliveries where delivery_id = $id", {"id": delivery}).fetchone()[0] == "bob"
    assert approvals.pending(cur).empty
    log = audit.search(cur)
    assert log["action"].tolist()[::-1] == ["approval.request", "approval.approve"]
    assert log["actor"].tolist()[::-1] == ["alice", "bob"]


def test_self_approval_is_refused(con, cur):
    delivery = plan(con)
    approvals.request(cur, delivery, ALICE)
    with pytest.raises(approvals.ApprovalError, match="cannot approve your own send"):
        approvals.approve(cur, delivery, User("Alice", "admin", "local"))
    assert approvals.state(cur, delivery) == "pending"


def test_one_persons_local_account_and_oidc_identity_are_one_approver(con, cur, tmp_path, monkeypatch):
    """Issue 12 point 6: alice (local, email alice@example.jp) requests; alice@example.jp by OIDC may not approve."""
    from dashboard.access import passwords
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(passwords.cli_user_add("alice", "sender", "alice-password-1", email="Alice@Example.jp"),
                       encoding="utf-8")
    monkeypatch.setenv("DASHBOARD_SECRETS_FILE", str(secrets))
    delivery = plan(con)
    approvals.request(cur, delivery, ALICE)
    with pytest.raises(approvals.ApprovalError, match="cannot approve your own send"):
        approvals.approve(cur, delivery, User("alice@example.jp", "sender", "oidc"))
    approvals.approve(cur, delivery, User("bob@example.jp", "sender", "oidc"))
    assert approvals.state(cur, delivery) == "approved"


def test_the_creator_cannot_approve_a_send_someone_else_requested(con, cur):
    delivery = plan(con, created_by="carol")
    approvals.request(cur, delivery, ALICE)
    with pytest.raises(approvals.ApprovalError, match="your own send"):
        approvals.approve(cur, delivery, User("carol", "sender", "local"))


@pytest.mark.parametrize("who", [VIC, OLGA])
def test_viewers_and_operators_cannot_approve_or_request(con, cur, who):
    delivery = plan(con)
    with pytest.raises(PermissionDenied, match="may not send"):
        approvals.request(cur, delivery, who)
    approvals.request(cur, delivery, ALICE)
    with pytest.raises(PermissionDenied, match="may not approve"):
        approvals.approve(cur, delivery, who)
    with pytest.raises(PermissionDenied, match="may not approve"):
        approvals.reject(cur, delivery, who, "no")
    assert approvals.state(cur, delivery) == "pending"


def test_editing_the_messages_after_approval_voids_it(con, cur):
    delivery = plan(con)
    approvals.request(cur, delivery, ALICE)
    approvals.approve(cur, delivery, ADA)
    cur.execute("update deliveries set messages = $m where delivery_id = $id",
                {"id": delivery, "m": json.dumps([{"type": "text", "text": "冬のセール 50% OFF"}], ensure_ascii=False)})
    assert not approvals.is_valid(cur, delivery)
    assert approvals.state(cur, delivery) == "voided"
    assert cur.execute("select approved_by from deliveries where delivery_id = $id", {"id": delivery}).fetchone()[0] is None
    assert "approval.void" in audit.actions(cur)
    with pytest.raises(approvals.ApprovalError, match="not approved"):
        approvals.ensure_sendable(cur, delivery)


def test_the_same_messages_stored_with_other_key_order_stay_approved(con, cur):
    delivery = plan(con)
    approvals.request(cur, delivery, ALICE)
    approvals.approve(cur, delivery, BOB)
    cur.execute("update deliveries set messages = $m where delivery_id = $id",
                {"id": delivery, "m": '[{"text": "冬のセール 20% OFF", "type": "text"}]'})
    assert approvals.is_valid(cur, delivery)


@pytest.mark.parametrize("edit", [
    "delete from delivery_recipients where delivery_id = $id and user_id = (select min(user_id) from delivery_recipients)",
    "update delivery_recipients set user_id = 'Uintruder' where delivery_id = $id and batch_no = 0 "
    "and user_id = (select max(user_id) from delivery_recipients)",
    "update deliveries set scheduled_at = current_timestamp + interval 1 day where delivery_id = $id",
    "update deliveries set segment_id = 'seg_other' where delivery_id = $id",
])
def test_editing_the_audience_or_schedule_after_approval_voids_it(con, cur, edit):
    delivery = plan(con)
    approvals.request(cur, delivery, ALICE)
    approvals.approve(cur, delivery, BOB)
    cur.execute(edit, {"id": delivery})
    assert not approvals.is_valid(cur, delivery)
    assert approvals.state(cur, delivery) == "voided"


def test_an_edit_between_request_and_approval_voids_the_request(con, cur):
    delivery = plan(con)
    approvals.request(cur, delivery, ALICE)
    cur.execute("insert into delivery_recipients (delivery_id, user_id, batch_no, retry_key, status) "
                "values ($id, 'Uextra', 0, 'k', 'planned')", {"id": delivery})
    with pytest.raises(approvals.ApprovalError, match="changed after the request"):
        approvals.approve(cur, delivery, BOB)
    assert approvals.state(cur, delivery) == "voided"
    assert approvals.request(cur, delivery, ALICE) == "pending", "asking again binds the new audience"
    approvals.approve(cur, delivery, BOB)
    assert approvals.is_valid(cur, delivery)


def test_sending_progress_does_not_void_an_approval(con, cur):
    delivery = plan(con)
    approvals.request(cur, delivery, ALICE)
    approvals.approve(cur, delivery, BOB)
    cur.execute("update delivery_recipients set status = 'sent', sent_at = current_timestamp where delivery_id = $id",
                {"id": delivery})
    cur.execute("update deliveries set status = 'sending' where delivery_id = $id", {"id": delivery})
    assert approvals.is_valid(cur, delivery)


def test_reject_needs_a_reason_and_ends_the_request(con, cur):
    delivery = plan(con)
    approvals.request(cur, delivery, ALICE)
    with pytest.raises(approvals.ApprovalError, match="say why"):
        approvals.reject(cur, delivery, BOB, "  ")
    approvals.reject(cur, delivery, BOB, "セール期間が違います")
    assert approvals.state(cur, delivery) == "rejected"
    with pytest.raises(approvals.ApprovalError, match="no longer pending: rejected"):
        approvals.approve(cur, delivery, BOB)
    assert not approvals.is_valid(cur, delivery)
    row = cur.execute("select decided_by, reason from approvals where delivery_id = $id", {"id": delivery}).fetchone()
    assert row == ("bob", "セール期間が違います")


def test_approve_without_a_request_or_for_a_missing_delivery(con, cur):
    delivery = plan(con)
    with pytest.raises(approvals.ApprovalError, match="no approval was requested"):
        approvals.approve(cur, delivery, BOB)
    with pytest.raises(approvals.ApprovalError, match="no delivery"):
        approvals.request(cur, "dlv_nothing", ALICE)


def test_a_started_send_cannot_be_requested(con, cur):
    delivery = plan(con, status="sending")
    with pytest.raises(approvals.ApprovalError, match="already started or ended"):
        approvals.request(cur, delivery, ALICE)


def test_ensure_sendable(con, cur, monkeypatch):
    monkeypatch.setenv("DASHBOARD_APPROVAL_RECIPIENTS", "30")
    small = plan(con, "dlv_small", users=AUDIENCE[:30])
    approvals.ensure_sendable(cur, small)
    big = plan(con, "dlv_big")
    with pytest.raises(approvals.ApprovalError, match="above the approval threshold"):
        approvals.ensure_sendable(cur, big)
    with pytest.raises(approvals.ApprovalError, match="above the approval threshold"):
        approvals.ensure_sendable(cur, small, extra_cost_yen=10**9)
    approvals.request(cur, big, ALICE)
    with pytest.raises(approvals.ApprovalError, match=r"not approved \(pending\)"):
        approvals.ensure_sendable(cur, big)
    approvals.approve(cur, big, BOB)
    approvals.ensure_sendable(cur, big)
    test = "dlv_test"
    sending.plan(con, delivery_id=test, user_ids=AUDIENCE, messages=MESSAGES, kind="test")
    approvals.ensure_sendable(cur, test)


def test_fingerprint_is_stable_and_covers_the_schedule(con, cur):
    when = dt.datetime(2026, 12, 1, 1, 0, tzinfo=dt.timezone.utc)
    a = plan(con, "dlv_a", scheduled_at=when, status="scheduled")
    b = plan(con, "dlv_b", scheduled_at=when, status="scheduled")
    assert approvals.fingerprint(cur, a) == approvals.fingerprint(cur, b)
    assert approvals.fingerprint(cur, a) != approvals.fingerprint(cur, plan(con, "dlv_c"))
