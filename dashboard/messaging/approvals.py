"""Two-person approval of large sends (issue 6).

A send above DASHBOARD_APPROVAL_RECIPIENTS recipients or DASHBOARD_APPROVAL_YEN of extra-message
cost needs a second person with the sender role. The approval is bound to a fingerprint of exactly
what would go out — the messages, the planned audience (the send ledger), the segment, the schedule
and the link tracking — so any edit after the request or the approval voids it. The requester (or
the delivery's creator) cannot approve their own send.

Lifecycle of the one approvals row per delivery:
    request -> pending -> approved | rejected | voided;  approved -> voided (an edit, seen by is_valid)
A new request replaces a rejected or voided one. Every step is an audit_log row.
The send path calls ensure_sendable() before sending: the check is on the server, not in the UI.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from contextlib import contextmanager

import duckdb
import pandas as pd

from dashboard.core import audit, config, queries, storage
from dashboard.access import passwords, roles
queries.require("approvals/bound_to", "approvals/get", "approvals/request", "approvals/decide",
                "approvals/set_approved_by", "approvals/pending")

# a delivery in one of these has started or ended: approving it now would approve nothing
NOT_APPROVABLE = ("sending", "sent", "partially_failed", "failed", "cancelled", "paused", "stopped")


class ApprovalError(ValueError):
    """An approval step is not possible; the message says why, in Japanese and English."""


def _one(cur, name: str, **params) -> dict | None:
    wanted = queries.parameters(name)
    result = cur.execute(queries.sql(name), {k: v for k, v in params.items() if k in wanted})
    row = result.fetchone()
    return None if row is None else dict(zip([d[0] for d in result.description], row))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@contextmanager
def _transaction(cur):
    """storage.transaction(), with a conflict (two people deciding at once) told as an ApprovalError."""
    try:
        with storage.transaction(cur):
            yield
    except duckdb.TransactionException:
        raise ApprovalError("同時に別の人が操作しました。再読み込みしてください / "
                            "someone else acted on this approval at the same time: reload and try again") from None


# ---- what an approval is bound to ---------------------------------------------------------------

def _delivery(cur, delivery_id: str) -> dict:
    row = _one(cur, "approvals/bound_to", delivery_id=delivery_id)
    if row is None:
        raise ApprovalError(f"配信 {delivery_id} はありません / no delivery {delivery_id}")
    return row


def _fingerprint_of(row: dict) -> str:
    scheduled = row["scheduled_at"]
    bound = {
        "v": 1,
        "kind": row["kind"],
        # parsed and re-serialised: the same messages give the same text however they were stored
        "messages": json.loads(row["messages"]) if row["messages"] is not None else None,
        "recipients": {"count": int(row["recipients"]), "sha256": row["recipients_sha256"]},
        "segment_id": row["segment_id"],
        "scheduled_at": None if scheduled is None else scheduled.astimezone(dt.timezone.utc).isoformat(),
        "link_tracking": row["link_tracking"],
    }
    text = json.dumps(bound, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def fingerprint(cur, delivery_id: str) -> str:
    """SHA-256 over the delivery's messages, planned recipients, segment, schedule and link tracking."""
    return _fingerprint_of(_delivery(cur, delivery_id))


def needs_approval(recipients: int, extra_cost_yen: float) -> bool:
    """True when a send is strictly above either threshold (recipients, or yen of extra messages)."""
    return (recipients > config.get_int("DASHBOARD_APPROVAL_RECIPIENTS")
            or extra_cost_yen > config.get_int("DASHBOARD_APPROVAL_YEN"))


# ---- the steps ----------------------------------------------------------------------------------

def _approval(cur, delivery_id: str) -> dict | None:
    return _one(cur, "approvals/get", delivery_id=delivery_id)


def _decide(cur, delivery_id: str, from_status: str, to_status: str, by: str, reason: str | None) -> None:
    changed = queries.run(cur, "approvals/decide", delivery_id=delivery_id, from_status=from_status,
                          to_status=to_status, decided_by=by, decided_at=_now(), reason=reason)
    if int(changed.iat[0, 0]) != 1:
        raise ApprovalError("この承認はすでに処理されています。再読み込みしてください / "
                            "this approval was already decided: reload")


def request(cur, delivery_id: str, actor: roles.User) -> str:
    """Ask a second person to approve the delivery as it is now; returns the approval's state.
    Asking again for an unchanged pending or valid approved delivery changes nothing."""
    roles.require(actor, "send")
    delivery = _delivery(cur, delivery_id)
    if delivery["status"] in NOT_APPROVABLE:
        raise ApprovalError(f"配信 {delivery_id} は開始済み・終了済みです（{delivery['status']}） / "
                            f"delivery {delivery_id} has already started or ended ({delivery['status']})")
    current = _fingerprint_of(delivery)
    existing = _approval(cur, delivery_id)
    if existing and existing["status"] == "pending" and existing["fingerprint"] == current:
        return "pending"
    if existing and existing["status"] == "approved" and is_valid(cur, delivery_id):
        return "approved"
    with _transaction(cur):
        queries.run(cur, "approvals/request", delivery_id=delivery_id, fingerprint=current,
                    requested_by=actor.name, requested_at=_now())
        audit.record(cur, actor, "approval.request", f"delivery:{delivery_id}",
                     {"recipients": int(delivery["recipients"]), "fingerprint": current,
                      "replaces": existing["status"] if existing else None})
    return "pending"


def _pending_or_fail(cur, delivery_id: str) -> dict:
    approval = _approval(cur, delivery_id)
    if approval is None:
        raise ApprovalError(f"配信 {delivery_id} の承認依頼はありません / no approval was requested for {delivery_id}")
    if approval["status"] != "pending":
        raise ApprovalError(f"この承認依頼は処理済みです（{approval['status']}） / "
                            f"this approval is no longer pending: {approval['status']}")
    return approval


def _same_person(a: str | None, b: str | None) -> bool:
    """One person, whichever way they logged in (passwords.identity: a local account's e-mail ties it to
    the same person's OIDC log-in)."""
    return bool(a) and bool(b) and passwords.identity(a) == passwords.identity(b)


def approve(cur, delivery_id: str, actor: roles.User) -> None:
    """Approve a pending request. Refused for roles without 'approve', for the requester or the
    delivery's creator, and — voiding the request — when the delivery changed since the request."""
    roles.require(actor, "approve")
    approval = _pending_or_fail(cur, delivery_id)
    delivery = _delivery(cur, delivery_id)
    if _same_person(actor.name, approval["requested_by"]) or _same_person(actor.name, delivery["created_by"]):
        raise ApprovalError("自分の配信は承認できません。別の送信担当者に依頼してください / "
                            "you cannot approve your own send: another person with the sender role must")
    if _fingerprint_of(delivery) != approval["fingerprint"]:
        with _transaction(cur):
            _decide(cur, delivery_id, "pending", "voided", actor.name, "changed after the request")
            audit.record(cur, actor, "approval.void", f"delivery:{delivery_id}",
                         {"reason": "messages or audience changed after the request"})
        raise ApprovalError("依頼後にメッセージまたは配信対象が変更されたため、この承認依頼は無効になりました。"
                            "もう一度依頼してください / the messages or the audience changed after the request: "
                            "the request is void, ask again")
    with _transaction(cur):
        _decide(cur, delivery_id, "pending", "approved", actor.name, None)
        queries.run(cur, "approvals/set_approved_by", delivery_id=delivery_id, approved_by=actor.name)
        audit.record(cur, actor, "approval.approve", f"delivery:{delivery_id}",
                     {"recipients": int(delivery["recipients"]), "requested_by": approval["requested_by"],
                      "fingerprint": approval["fingerprint"]})


def reject(cur, delivery_id: str, actor: roles.User, reason: str) -> None:
    """Reject a pending request, saying why. The requester may reject (withdraw) their own."""
    roles.require(actor, "approve")
    reason = (reason or "").strip()[:500]
    if not reason:
        raise ApprovalError("却下の理由を書いてください / say why the send is rejected")
    approval = _pending_or_fail(cur, delivery_id)
    with _transaction(cur):
        _decide(cur, delivery_id, "pending", "rejected", actor.name, reason)
        audit.record(cur, actor, "approval.reject", f"delivery:{delivery_id}",
                     {"reason": reason, "requested_by": approval["requested_by"]})


def state(cur, delivery_id: str) -> str | None:
    """pending, approved, rejected, voided, or None when no approval was requested. An approved
    delivery edited since is still 'approved' here until is_valid() notices and voids it."""
    approval = _approval(cur, delivery_id)
    return None if approval is None else approval["status"]


def is_valid(cur, delivery_id: str) -> bool:
    """True when approved AND the delivery is still exactly what was approved. An approved delivery
    that changed is marked voided (and approved_by cleared) here."""
    approval = _approval(cur, delivery_id)
    if approval is None or approval["status"] != "approved":
        return False
    try:
        current = fingerprint(cur, delivery_id)
    except ApprovalError:      # the delivery is gone
        current = None
    if current == approval["fingerprint"]:
        return True
    with _transaction(cur):
        _decide(cur, delivery_id, "approved", "voided", "system", "changed after the approval")
        queries.run(cur, "approvals/set_approved_by", delivery_id=delivery_id, approved_by=None)
        audit.record(cur, "system", "approval.void", f"delivery:{delivery_id}",
                     {"reason": "messages or audience changed after the approval",
                      "approved_by": approval["decided_by"]})
    return False


def ensure_sendable(cur, delivery_id: str, extra_cost_yen: float = 0.0) -> None:
    """Raise ApprovalError unless this delivery may go out: a requested approval must be valid, and a
    delivery above a threshold must have one. For the send path (server side), before any batch."""
    approval = _approval(cur, delivery_id)
    if approval is not None:
        if not is_valid(cur, delivery_id):
            raise ApprovalError(f"この配信は承認されていません（{state(cur, delivery_id)}） / "
                                f"this send is not approved ({state(cur, delivery_id)})")
        return
    delivery = _delivery(cur, delivery_id)
    if delivery["kind"] != "test" and needs_approval(int(delivery["recipients"]), extra_cost_yen):
        raise ApprovalError("この配信は規模が大きいため、送信担当者もう1人の承認が必要です / "
                            "this send is above the approval threshold: a second person with the sender role must approve it")


def pending(cur) -> pd.DataFrame:
    """Approvals waiting for a decision, oldest first (delivery_id, title, kind, recipients,
    scheduled_at, segment_id, created_by, requested_by, requested_at, delivery_status, messages
    as LINE's JSON, cost_yen)."""
    return queries.run(cur, "approvals/pending")
