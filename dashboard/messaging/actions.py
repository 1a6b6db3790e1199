"""What happens when a compose-page button is pressed: a test send, a send (or its request for
approval), a resume, an approval. Each checks the role here, on the server, whatever the page
showed or hid, and each leaves its row in the audit log. The page only reads widgets and shows
the outcome (pages/compose.py, dashboard/web/compose_ui.py).
"""
from __future__ import annotations

import datetime as dt
import uuid

from dashboard.messaging import approvals, planning, sending, staff
from dashboard.core import audit
from dashboard.access import roles
from dashboard.line import api


class AudienceChanged(Exception):
    """Friends followed, blocked or changed since the count the person confirmed: nothing was
    planned; they confirm the new number."""

    def __init__(self, now_counted: int):
        super().__init__(now_counted)
        self.now_counted = now_counted


class CapOverrideRefused(Exception):
    """A send past the frequency cap was refused: `code` is "role" (only a sender may override the
    cap) or "reason" (the override needs a reason); rendered as cmp.override.refused.<code>."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


class TestSendRefused(Exception):
    """A test send did not go: `problems` are (code, params) pairs, rendered as staff.err.<code>."""

    def __init__(self, problems: list[tuple[str, dict]]):
        super().__init__("; ".join(code for code, _ in problems))
        self.problems = problems


def test_send(con, cur, user: roles.User | None, recipients: list[str], messages: list[dict],
              clients: api.Clients, now: dt.datetime | None = None) -> sending.Report:
    """Push the messages to staff members picked from the staff list, through the same engine and
    ledger. Needs no approval, so every other check is made here (staff.test_send_problems): only
    people on the admin's staff list, at most DASHBOARD_STAFF_MAX, LINE's limits, no blocked term,
    not in quiet hours, the test-send cap. Refused sends are audited too."""
    roles.require(user, "test_send")
    problems = staff.test_send_problems(cur, recipients, messages, now)
    if problems:
        audit.record(cur, user, "test_send.refused", None,
                     {"recipients": len(recipients), "reasons": [code for code, _ in problems]})
        raise TestSendRefused(problems)
    delivery_id = "test_" + uuid.uuid4().hex[:12]
    wanted = list(dict.fromkeys(r.strip() for r in recipients))
    sending.plan(con, delivery_id=delivery_id, user_ids=wanted, messages=messages, kind="test", title="test",
                 created_by=user.name)
    audit.record(cur, user, "test_send", f"delivery:{delivery_id}", {"recipients": len(wanted)})
    return sending.run(con, delivery_id, clients)


def submit(con, cur, user: roles.User | None, plan: planning.Plan, *, delivery_id: str, messages: list[dict],
           title: str | None, segment_id: str | None, send_at: dt.datetime | None, promotion: bool,
           needs_approval: bool) -> str:
    """The confirmed send: recount (the very query that was counted writes the ledger), then send
    now, schedule, or ask a second sender to approve. Returns the delivery's status. A plan made
    without the frequency cap (plan.cap_override) goes only for a sender who gave a reason; the
    override and its reason are audited with the send, a refusal on its own."""
    _check_cap_override(cur, user, plan)
    now_counted = planning.recount(cur, plan)
    if now_counted != plan.recipients:
        raise AudienceChanged(now_counted)
    roles.require(user, "send")
    status = "awaiting_approval" if needs_approval else ("scheduled" if send_at else "planned")
    sending.plan(con, delivery_id=delivery_id, source=plan.query, messages=messages, title=title,
                 segment_id=segment_id, created_by=user.name, scheduled_at=send_at, is_promotion=promotion,
                 status=status, link_tracking=plan.link_tracking, cost_yen=plan.overage_yen,
                 exclusions={"audience": plan.audience, "exclusions": [list(e) for e in plan.exclusions],
                             "rule": plan.rule})
    audit.record(cur, user, "send.request" if needs_approval else "send", f"delivery:{delivery_id}",
                 {"recipients": plan.recipients, "cost_yen": plan.overage_yen, "scheduled_at": send_at,
                  "title": title})
    if plan.cap_override is not None:
        audit.record(cur, user, "send.cap_override", f"delivery:{delivery_id}",
                     {"reason": plan.cap_override, "recipients": plan.recipients, "cap": _configured_cap()})
    if needs_approval:
        approvals.request(cur, delivery_id, user)
    elif not send_at:
        sending.start_in_background(con, delivery_id)
    return status


def _configured_cap() -> int:
    from dashboard.core import config

    return config.get_int("DASHBOARD_FREQUENCY_CAP")


def _check_cap_override(cur, user: roles.User | None, plan: planning.Plan) -> None:
    """On the server, whatever the page showed: only a sender (or admin) may send past the
    frequency cap, and only with a reason."""
    if plan.cap_override is None:
        return
    problem = None
    if user is None or not roles.allowed(user.role, "send"):
        problem = "role"
    elif not plan.cap_override.strip():
        problem = "reason"
    if problem:
        audit.record(cur, user, "send.cap_override.refused", None,
                     {"problem": problem, "recipients": plan.recipients})
        raise CapOverrideRefused(problem)


def resume(con, cur, user: roles.User | None, delivery_id: str) -> bool:
    """Go on with a paused or stopped send (the engine skips batches LINE already accepted).
    False when it is already running in this process."""
    roles.require(user, "send")
    audit.record(cur, user, "send.resume", f"delivery:{delivery_id}", None)
    return sending.start_in_background(con, delivery_id)


def approve(con, cur, user: roles.User | None, delivery_id: str) -> str:
    """A second sender approves: the delivery is released and, unless scheduled later, sent now.
    Returns its status. (approvals.approve refuses the requester and voids a changed delivery.)"""
    approvals.approve(cur, delivery_id, user)
    status = sending.release(con, delivery_id)
    if status == "planned":
        sending.start_in_background(con, delivery_id)
    return status
