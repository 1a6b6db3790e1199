"""The one audience query (issue 13.4) and "reachable now after the frequency cap" (issue 19.8):
a journey with known sends, counted on the Segments page's terms and on the compose page's, the
plan's count equal to the ledger rows written, and a sender's audited override of the cap."""
from __future__ import annotations

import datetime as dt

import pytest

from dashboard.access.roles import User
from dashboard.audience import running
from dashboard.core import audit, storage
from dashboard.messaging import actions, planning, sending

ALICE, OLGA = User("alice", "sender", "local"), User("olga", "operator", "local")
MESSAGES = [{"type": "text", "text": "新作のお知らせ"}]
LATER = dt.datetime(2099, 1, 1, 12, tzinfo=dt.timezone.utc)   # scheduled: nothing leaves during the test
QR = {"version": 1, "rule": {"field": "route", "in": ["qr"]}}
AMI, BEN, CHO, DAI, EMI = (f"U{n:032x}" for n in range(1, 6))


@pytest.fixture
def cur(tmp_path):
    """Five friends; four came by QR. Ami got 3 messages in the last two days (capped at 3), Ben 2,
    Cho 3 but ten days ago; Dai blocked; Emi came from the web page (not in the segment)."""
    con = storage.connect(tmp_path / "journey.duckdb")
    c = con.cursor()
    for key, (user, route, following) in enumerate([(AMI, "qr", True), (BEN, "qr", True), (CHO, "qr", True),
                                                     (DAI, "qr", False), (EMI, "web", True)], start=1):
        c.execute("insert into friends (user_key, user_id, followed_at, last_followed_at, is_following, "
                  "blocked_at, inflow_route) values ($k, $u, now() - interval 60 day, now() - interval 60 day, "
                  "$f, case when $f then null else now() - interval 30 day end, $r)",
                  {"k": key, "u": user, "f": following, "r": route})
    sends = [(AMI, 1), (AMI, 1), (AMI, 2), (BEN, 1), (BEN, 2), (CHO, 10), (CHO, 10), (CHO, 11)]
    for n, (user, days_ago) in enumerate(sends):
        sending.plan(con, delivery_id=f"old{n}", user_ids=[user], messages=[{"type": "text", "text": f"{n}"}])
        c.execute("update delivery_recipients set status = 'sent', sent_at = now() - to_days($d::integer) "
                  "where delivery_id = $id", {"d": days_ago, "id": f"old{n}"})
        c.execute("update deliveries set status = 'sent', sent_at = now() - to_days($d::integer) "
                  "where delivery_id = $id", {"d": days_ago, "id": f"old{n}"})
    yield c
    c.close()
    con.close()


def ledger(cur, delivery_id):
    return sorted(r[0] for r in cur.execute("select user_id from delivery_recipients where delivery_id = $id",
                                            {"id": delivery_id}).fetchall())


def submit(cur, user, plan, delivery_id):
    return actions.submit(cur, cur, user, plan,  # a DuckDB cursor opens cursors too: it stands for the connection
                          delivery_id=delivery_id, messages=MESSAGES, title="新作", segment_id=None,
                          send_at=LATER, promotion=False, needs_approval=False)


def test_segment_count_and_reachable_after_the_cap_on_a_known_journey(cur):
    assert running.count(cur, QR) == 4
    found = running.reachable(cur, QR, frequency_cap=3)
    assert found == {"segment": 4, "following": 3, "reachable": 2, "capped": 1, "cap": 3}
    plan = planning.plan_send(cur, QR, MESSAGES, send_at=LATER, frequency_cap=3)
    assert plan.recipients == found["reachable"]          # one implementation: the compose page agrees
    assert [(code, n) for code, n, _ in plan.exclusions] == [("not_following", 1), ("frequency_cap", 1)]
    assert sorted(planning.members(cur, plan)) == [BEN, CHO]
    assert running.reachable(cur, QR, frequency_cap=0)["reachable"] == 3


def test_the_plans_count_equals_the_ledger_rows_written(cur):
    plan = planning.plan_send(cur, QR, MESSAGES, send_at=LATER, frequency_cap=3)
    written = sending.plan(cur, delivery_id="dlv_new", source=plan.query, messages=MESSAGES, status="scheduled",
                           scheduled_at=LATER)
    assert written == plan.recipients == planning.recount(cur, plan) == 2
    assert ledger(cur, "dlv_new") == [BEN, CHO]


def test_the_cap_override_is_refused_for_an_operator_and_without_a_reason(cur):
    capped = planning.plan_send(cur, QR, MESSAGES, send_at=LATER, cap_override="   ")
    assert capped.cap_override == "" and capped.recipients == 3
    with pytest.raises(actions.CapOverrideRefused) as refused:
        submit(cur, ALICE, capped, "dlv_no_reason")
    assert refused.value.code == "reason"
    reasoned = planning.plan_send(cur, QR, MESSAGES, send_at=LATER, cap_override="お詫びの連絡")
    with pytest.raises(actions.CapOverrideRefused) as refused:
        submit(cur, OLGA, reasoned, "dlv_operator")
    assert refused.value.code == "role"
    assert ledger(cur, "dlv_no_reason") == ledger(cur, "dlv_operator") == []
    log = audit.search(cur)
    assert log["action"].tolist().count("send.cap_override.refused") == 2


def test_a_sender_overrides_the_cap_with_a_reason_and_it_is_audited(cur):
    plan = planning.plan_send(cur, QR, MESSAGES, send_at=LATER, frequency_cap=3, cap_override="お詫びの連絡")
    assert plan.recipients == 3 and "frequency_cap" not in [code for code, _, _ in plan.exclusions]
    assert submit(cur, ALICE, plan, "dlv_override") == "scheduled"
    assert ledger(cur, "dlv_override") == [AMI, BEN, CHO]
    log = audit.search(cur, action="send.cap_override")
    assert log["object"].tolist() == ["delivery:dlv_override"] and "お詫びの連絡" in log["detail"].iat[0]
    assert log["actor"].tolist() == ["alice"]
