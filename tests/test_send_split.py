"""LINE refuses a multicast with 400 for some recipients: the batch is split until they are found,
they fail with LINE's reason, and everyone else gets the message exactly once (sandbox over HTTP)."""
from __future__ import annotations

import pytest

from dashboard.line import api
from dashboard.messaging import sending
from dashboard.core import storage
from tests.test_sending import MESSAGES, users


@pytest.fixture
def db(tmp_path):
    con = storage.connect(tmp_path / "split.duckdb")
    yield con
    con.close()


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch):
    monkeypatch.setattr(sending, "BACKOFF_BASE_S", 0.01)
    monkeypatch.setattr(sending, "BACKOFF_CAP_S", 0.2)


def _run(db, sandbox, recipients, delivery_id="d_split"):
    sending.plan(db, delivery_id=delivery_id, user_ids=recipients, messages=MESSAGES, title="split")
    clients = api.clients(sandbox.url, "token")
    try:
        return sending.run(db, delivery_id, clients)
    finally:
        clients.close()


def _check_exactly_once(db, sandbox, recipients, refused, delivery_id="d_split"):
    summary = sandbox.summary(sending.aggregation_unit(delivery_id))
    assert summary["duplicates"] == []
    assert summary["recipients"] == len(recipients) - len(refused)
    ledger = dict(db.execute("select user_id, status from delivery_recipients").fetchall())
    assert {u for u, s in ledger.items() if s == "failed"} == set(refused)
    assert {u for u, s in ledger.items() if s == "sent"} == set(recipients) - set(refused)
    # every request LINE accepted carried a retry key of its own, found in the ledger
    keys = [r["retry_key"] for r in _accepted(sandbox)]
    assert len(keys) == len(set(keys))
    assert set(keys) <= {k for (k,) in db.execute("select distinct retry_key from delivery_recipients").fetchall()}


def _accepted(sandbox):
    # the inbox file holds the retry keys; /sandbox/inbox leaves them out, so read the file
    import json

    return [json.loads(line) for line in (sandbox.log.parent / "inbox.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("names_index", [True, False], ids=["line_names_them", "bisection"])
def test_refused_ids_are_isolated_and_everyone_else_gets_it_once(db, sandbox, names_index):
    recipients = users(1_200)
    refused = [recipients[3], recipients[250], recipients[499], recipients[1_100]]  # batches 0, 0, 0, 2
    sandbox.configure(reject_user_ids=refused, reject_names_index=names_index)
    report = _run(db, sandbox, recipients)
    assert report.status == "partially_failed"
    assert report.sent == 1_196 and report.failed == 4 and report.pending == 0
    _check_exactly_once(db, sandbox, recipients, refused)
    reasons = [r for (r,) in db.execute("select distinct error from delivery_recipients where status = 'failed'").fetchall()]
    assert reasons and all("in the request body is invalid" in r for r in reasons)   # LINE's own words
    # the batch that had no refused recipient went out as it was planned: one request
    assert db.execute("select count(distinct batch_no) from delivery_recipients where batch_no = 1").fetchone()[0] == 1
    requests = len(sandbox.get("/sandbox/calls?path=/v2/bot/message/multicast")["calls"])
    # named: 3 first tries + (3 + 1) for batch 0 + (1 + 1) for batch 2 = 9; halves need more, but few
    assert requests == 9 if names_index else requests <= 3 + 2 * 4 * 9


def test_an_id_of_the_wrong_shape_is_refused_alone(db, sandbox):
    """A ledger row that is not a LINE user ID (a bad import from before the checks): LINE's 400."""
    recipients = users(10) + ["U-not-a-line-id"]
    report = _run(db, sandbox, recipients)
    assert report.sent == 10 and report.failed == 1
    _check_exactly_once(db, sandbox, recipients, ["U-not-a-line-id"])


def test_a_crash_after_the_split_resumes_without_sending_twice(db, sandbox):
    """The split is written to the ledger (new batches, new keys) before any of them is sent."""
    recipients = users(600)
    sandbox.configure(reject_user_ids=[recipients[7]], reject_names_index=False)
    sending.plan(db, delivery_id="d_split", user_ids=recipients, messages=MESSAGES)
    clients = api.clients(sandbox.url, "token")
    seen = []

    def crash_after_two(batch_no):
        seen.append(batch_no)
        if len(seen) == 2:   # batch 0 split; batch 1 sent; then the process "dies"
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sending.run(db, "d_split", clients, on_batch=crash_after_two)
    report = sending.run(db, "d_split", clients)
    clients.close()
    assert report.sent == 599 and report.failed == 1
    _check_exactly_once(db, sandbox, recipients, [recipients[7]])


def test_a_refused_message_still_fails_the_whole_delivery_without_splitting(db, sandbox):
    sending.plan(db, delivery_id="d_bad", user_ids=users(1_000), messages=[{"type": "text", "text": "x" * 5001}])
    report = sending.run(db, "d_bad", api.clients(sandbox.url, "token"))
    assert report.status == "failed" and report.failed == 1_000
    assert len(sandbox.get("/sandbox/calls?path=/v2/bot/message/multicast")["calls"]) == 1
