"""Batches whose answer was lost: listed with their retry key and what LINE's statistics say;
retried with the same key while young; after 23 h only a sender's explicit, audited decision.
The send path runs over HTTP against the sandbox."""
from __future__ import annotations

import datetime as dt

import pytest

from dashboard.line import api
from dashboard.messaging import sending, unknown_batches
from dashboard.core import storage
from dashboard.access.roles import PermissionDenied, User
from tests.test_sending import MESSAGES, users

ALICE = User("alice", "sender", "local")
OLGA = User("olga", "operator", "local")


@pytest.fixture
def db(tmp_path):
    con = storage.connect(tmp_path / "lost.duckdb")
    yield con
    con.close()


@pytest.fixture
def clients(sandbox):
    c = api.clients(sandbox.url, "token")
    yield c
    c.close()


def _lose_answer(db, sandbox, clients, hours_ago: float, recipients=1_000):
    """A send whose batch 0 went to LINE but whose answer never reached the ledger."""
    sending.plan(db, delivery_id="d_lost", user_ids=users(recipients), messages=MESSAGES, title="冬のセール")
    db.execute("update delivery_recipients set attempted_at = current_timestamp - to_milliseconds($ms) "
               "where batch_no = 0", {"ms": int(hours_ago * 3_600_000)})
    return sending.run(db, "d_lost", clients)


def _start(clients):
    return lambda con, delivery_id: sending.run(con, delivery_id, clients)


def test_young_lost_answer_is_retried_with_the_same_key_and_nobody_gets_it_twice(db, sandbox, clients):
    # batch 0 was accepted by LINE, then the process died before writing the answer
    sending.plan(db, delivery_id="d_lost", user_ids=users(1_000), messages=MESSAGES, title="冬")
    key, to = db.execute("select any_value(retry_key), list(user_id order by user_id) from delivery_recipients "
                         "where batch_no = 0").fetchone()
    api.multicast(clients, to, MESSAGES, key, sending.aggregation_unit("d_lost"))
    db.execute("update delivery_recipients set attempted_at = current_timestamp - interval 2 hour where batch_no = 0")
    db.execute("update deliveries set status = 'paused'")
    [batch] = unknown_batches.unanswered(db.cursor())
    assert (batch.batch_no, batch.retry_key, batch.status, batch.recipients) == (0, key, "planned", 500)
    assert batch.choices == ("retry",)
    cur = db.cursor()
    with pytest.raises(unknown_batches.DecisionRefused) as err:
        unknown_batches.decide(db, cur, ALICE, "d_lost", 0, "resend", acknowledged=True, start=_start(clients))
    assert err.value.code == "i11.lost.too_young"
    with pytest.raises(PermissionDenied):
        unknown_batches.decide(db, cur, OLGA, "d_lost", 0, "retry", start=_start(clients))
    unknown_batches.decide(db, cur, ALICE, "d_lost", 0, "retry", start=_start(clients))
    assert sandbox.summary()["duplicates"] == [] and sandbox.summary()["recipients"] == 1_000
    assert db.execute("select status, sent_count from deliveries").fetchone() == ("sent", 1_000)
    assert db.execute("select action from audit_log").fetchall() == [("send.lost_answer.retry",)]


def test_after_23_hours_nothing_is_resent_without_a_senders_decision(db, sandbox, clients):
    report = _lose_answer(db, sandbox, clients, hours_ago=25)
    assert report.status == "paused" and report.sent == 500
    [batch] = unknown_batches.unanswered(db.cursor())
    assert batch.status == "unknown" and batch.choices == ("mark_sent", "resend")
    # LINE's figures are shown for what they are: not synced yet here
    assert [code for code, _ in batch.line_says] == ["i11.lost.no_day_stats", "i11.lost.no_unit_stats"]
    cur = db.cursor()
    # resuming the delivery does not touch it
    sending.run(db, "d_lost", clients)
    assert sandbox.summary()["recipients"] == 500
    for user, choice, ack, refusal in ((OLGA, "mark_sent", True, PermissionDenied),
                                       (ALICE, "retry", True, "i11.lost.too_old"),
                                       (ALICE, "resend", False, "i11.lost.confirm"),
                                       (ALICE, "launch", True, "i11.lost.bad_choice")):
        with pytest.raises(PermissionDenied if refusal is PermissionDenied else unknown_batches.DecisionRefused) as err:
            unknown_batches.decide(db, cur, user, "d_lost", 0, choice, acknowledged=ack, start=_start(clients))
        if refusal is not PermissionDenied:
            assert err.value.code == refusal
    assert sandbox.summary()["recipients"] == 500
    assert db.execute("select count(*) from audit_log").fetchone()[0] == 0


def test_mark_as_sent_settles_the_delivery_and_is_audited(db, sandbox, clients):
    _lose_answer(db, sandbox, clients, hours_ago=30)
    cur = db.cursor()
    status = unknown_batches.decide(db, cur, ALICE, "d_lost", 0, "mark_sent", acknowledged=True, note="LINEで確認",
                                    start=_start(clients))
    assert status == "sent"
    assert db.execute("select status, sent_count, failed_count from deliveries").fetchone() == ("sent", 1_000, 0)
    assert sandbox.summary()["recipients"] == 500               # nothing was sent by marking
    action, obj, detail = db.execute("select action, object, detail from audit_log").fetchone()
    assert (action, obj) == ("send.lost_answer.mark_sent", "delivery:d_lost")
    assert '"recipients": 500' in detail and "LINEで確認" in detail and '"retry_key"' in detail
    assert unknown_batches.unanswered(cur) == []


def test_resend_knowingly_uses_a_new_key_and_sends_the_batch_once_more(db, sandbox, clients):
    _lose_answer(db, sandbox, clients, hours_ago=24)
    cur = db.cursor()
    old_key = unknown_batches.unanswered(cur)[0].retry_key
    unknown_batches.decide(db, cur, ALICE, "d_lost", 0, "resend", acknowledged=True, start=_start(clients))
    new_key = db.execute("select any_value(retry_key) from delivery_recipients where batch_no = 0").fetchone()[0]
    assert new_key != old_key
    assert db.execute("select status, sent_count from deliveries").fetchone() == ("sent", 1_000)
    assert sandbox.summary()["recipients"] == 1_000 and sandbox.summary()["duplicates"] == []
    assert db.execute("select action from audit_log").fetchall() == [("send.lost_answer.resend",)]


def test_lines_daily_count_is_shown_beside_ours(db, sandbox, clients):
    _lose_answer(db, sandbox, clients, hours_ago=25)
    attempted = db.execute("select min(attempted_at) from delivery_recipients where batch_no = 0").fetchone()[0]
    line_day = attempted.astimezone(dt.timezone(dt.timedelta(hours=9))).date()
    db.execute("insert into insight_message_delivery (day, api_multicast, fetched_at) values ($d, 1000, current_timestamp)",
               {"d": line_day})
    db.execute("update delivery_recipients set sent_at = $at where status = 'sent'", {"at": attempted})
    [batch] = unknown_batches.unanswered(db.cursor())
    code, params = batch.line_says[0]
    assert code == "i11.lost.day_stats" and params == {"day": line_day.isoformat(), "line": 1000, "ours": 500}
