"""The compose page's button actions (dashboard/messaging/actions.py) on a real demo database: role
checked on the server, the count re-checked before anything is planned, every action audited."""
from __future__ import annotations

import datetime as dt

import pytest

from dashboard.messaging import actions as compose_actions, approvals, planning
from dashboard.core import audit, storage
from dashboard.access.roles import PermissionDenied, User

ALICE, BOB = User("alice", "sender", "local"), User("bob", "sender", "local")
OLGA, VIC = User("olga", "operator", "local"), User("vic", "viewer", "local")
MESSAGES = [{"type": "text", "text": "冬のセール 20% OFF"}]
RULE = {"version": 1, "rule": {"all": [{"field": "following", "value": True},
                                       {"field": "route", "in": ["thanks_page"]}]}}
LATER = dt.datetime(2099, 1, 1, 12, tzinfo=dt.timezone.utc)  # scheduled: nothing leaves during the test


@pytest.fixture
def db(demo_copy):
    con = storage.connect(demo_copy)
    cur = con.cursor()
    yield con, cur
    cur.close()
    con.close()


def submit(con, cur, user, plan, delivery_id="dlv_a", needs_approval=False):
    return compose_actions.submit(con, cur, user, plan, delivery_id=delivery_id, messages=MESSAGES, title="冬",
                                  segment_id=None, send_at=LATER, promotion=True, needs_approval=needs_approval)


def deliveries(cur):
    return cur.execute("select delivery_id, status, planned_count from deliveries order by 1").fetchall()


def test_an_operator_or_viewer_cannot_send_or_test_whatever_the_page_showed(db):
    con, cur = db
    plan = planning.plan_send(cur, RULE, MESSAGES, send_at=LATER)
    assert plan.recipients > 0
    before = deliveries(cur)
    with pytest.raises(PermissionDenied):
        submit(con, cur, OLGA, plan)
    with pytest.raises(PermissionDenied):
        compose_actions.test_send(con, cur, VIC, ["U" + "0" * 32], MESSAGES, None)
    with pytest.raises(PermissionDenied):
        compose_actions.resume(con, cur, VIC, "dlv_a")
    assert deliveries(cur) == before


def test_a_changed_audience_plans_nothing_and_says_the_new_count(db):
    con, cur = db
    plan = planning.plan_send(cur, RULE, MESSAGES, send_at=LATER)
    # a block the loader brings in after the count, from before it (LINE's event time)
    cur.execute("update friends set is_following = false, blocked_at = now() - interval 1 minute, "
                "last_followed_at = followed_at where user_id = $u", {"u": planning.members(cur, plan)[0]})
    before = deliveries(cur)
    with pytest.raises(compose_actions.AudienceChanged) as changed:
        submit(con, cur, ALICE, plan)
    assert changed.value.now_counted == plan.recipients - 1
    assert deliveries(cur) == before


def test_a_large_send_waits_for_a_second_sender_and_everything_is_audited(db):
    con, cur = db
    plan = planning.plan_send(cur, RULE, MESSAGES, send_at=LATER)
    assert submit(con, cur, ALICE, plan, needs_approval=True) == "awaiting_approval"
    assert ("dlv_a", "awaiting_approval", plan.recipients) in deliveries(cur)
    waiting = approvals.pending(cur)
    assert waiting["delivery_id"].tolist() == ["dlv_a"] and waiting["messages"].notna().all()
    with pytest.raises(approvals.ApprovalError):
        compose_actions.approve(con, cur, ALICE, "dlv_a")  # not one's own send
    assert compose_actions.approve(con, cur, BOB, "dlv_a") == "scheduled"  # its time is still ahead
    log = audit.search(cur)
    actions = list(zip(log["actor"], log["action"]))[::-1]
    assert actions[-3:] == [("alice", "send.request"), ("alice", "approval.request"), ("bob", "approval.approve")]


def test_a_delivery_keeps_its_exclusions_with_counts_for_its_detail(db):
    """What the compose page showed before the send — the audience, each exclusion and how many it
    removed — is kept with the delivery, and its detail shows it in words (issue 19, point 10)."""
    from dashboard.analytics import delivery_detail

    con, cur = db
    plan = planning.plan_send(cur, RULE, MESSAGES, send_at=LATER)
    assert plan.exclusions, "the demo's frequency cap removes some of the route's friends"
    submit(con, cur, ALICE, plan)
    head = delivery_detail.detail(cur, "dlv_a")["head"]
    audience, steps = delivery_detail.exclusions(head)
    assert audience == plan.audience and audience - sum(n for _, n, _ in steps) == plan.recipients
    assert [(c, n) for c, n, _ in steps] == [(c, n) for c, n, _ in plan.exclusions]
    said = [planning.exclusion_text(c, p, "ja") for c, _, p in steps]
    assert all(s and not s.startswith("excl.") for s in said), said
