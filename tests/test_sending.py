"""The send engine through the sandbox over HTTP: exactly once, whatever fails."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from dashboard.line import api
from dashboard.messaging import sending
from dashboard.core import storage
from dashboard.line.sandbox_process import ROOT

MESSAGES = [{"type": "text", "text": "新商品のお知らせ"}, {"type": "text", "text": "二つ目の吹き出し"}]


def users(n: int, prefix: str = "") -> list[str]:
    return [f"U{prefix}{uuid.UUID(int=i).hex[len(prefix):]}" for i in range(n)]


@pytest.fixture
def db(tmp_path):
    con = storage.connect(tmp_path / "send.duckdb")
    yield con
    con.close()


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch):
    monkeypatch.setattr(sending, "BACKOFF_BASE_S", 0.01)
    monkeypatch.setattr(sending, "BACKOFF_CAP_S", 0.2)


def _send(db, sandbox, recipients, delivery_id="d_test", **kw):
    sending.plan(db, delivery_id=delivery_id, user_ids=recipients, messages=MESSAGES, title="test")
    clients = api.clients(sandbox.url, "token")
    try:
        return sending.run(db, delivery_id, clients, **kw)
    finally:
        clients.close()


def test_ten_thousand_recipients_in_twenty_batches_each_once(db, sandbox):
    recipients = users(10_000)
    report = _send(db, sandbox, recipients)
    assert report.status == "sent" and report.sent == 10_000 and report.pending == 0
    summary = sandbox.summary(sending.aggregation_unit("d_test"))
    assert summary["recipients"] == 10_000 and summary["deliveries"] == 10_000 and summary["duplicates"] == []
    assert len(sandbox.get("/sandbox/inbox")["requests"]) == 20
    assert db.execute("select count(distinct batch_no), count(distinct retry_key) from delivery_recipients").fetchone() == (20, 20)
    row = db.execute("select status, sent_count, failed_count from deliveries where delivery_id = 'd_test'").fetchone()
    assert row == ("sent", 10_000, 0)


def test_rate_limits_and_server_errors_still_exactly_once(db, sandbox):
    sandbox.configure(p429=0.20, p500=0.05, p500_after=0.05)
    report = _send(db, sandbox, users(10_000))
    assert report.status == "sent" and report.sent == 10_000
    summary = sandbox.summary(sending.aggregation_unit("d_test"))
    assert summary["recipients"] == 10_000 and summary["duplicates"] == []


def test_double_run_and_double_plan_send_once(db, sandbox):
    recipients = users(1_200)
    _send(db, sandbox, recipients)
    # a second click, a second tab: the same delivery planned and run again
    assert sending.plan(db, delivery_id="d_test", user_ids=recipients, messages=MESSAGES) == 1_200
    again = sending.run(db, "d_test", api.clients(sandbox.url, "token"))
    assert again.sent == 1_200
    assert sandbox.summary()["duplicates"] == []


def test_resending_a_planned_batch_with_its_key_is_a_409_not_a_duplicate(db, sandbox):
    """As after a crash between LINE's answer and the ledger write."""
    recipients = users(600)
    _send(db, sandbox, recipients)
    db.execute("update delivery_recipients set status = 'planned' where batch_no = 0")
    db.execute("update deliveries set status = 'sending'")
    report = sending.run(db, "d_test", api.clients(sandbox.url, "token"))
    assert report.sent == 600
    summary = sandbox.summary()
    assert summary["deliveries"] == 600 and summary["duplicates"] == []


def test_monthly_limit_stops_cleanly_with_an_exact_report(db, sandbox):
    sandbox.configure(quota=2_300)
    report = _send(db, sandbox, users(5_000))
    assert report.status == "stopped" and "monthly limit" in report.stop_reason
    assert report.sent == 2_000 and report.pending == 3_000 and report.failed == 0
    assert sandbox.summary()["recipients"] == 2_000


def test_bad_messages_fail_with_lines_reason_and_stop(db, sandbox):
    sending.plan(db, delivery_id="d_bad", user_ids=users(1_000), messages=[{"type": "text", "text": "x" * 5001}])
    report = sending.run(db, "d_bad", api.clients(sandbox.url, "token"))
    assert report.status == "failed" and report.sent == 0 and report.failed == 1_000
    assert "messages[0].text" in next(iter(report.reasons))
    assert sandbox.summary()["recipients"] == 0


def test_the_sandbox_answers_like_line(sandbox):
    c = api.clients(sandbox.url, "token")
    with pytest.raises(api.LineError) as err:
        api.multicast(c, users(1), MESSAGES, "not-a-uuid")
    assert err.value.kind == "bad_request" and err.value.status == 400
    key = str(uuid.uuid4())
    first = api.multicast(c, users(2), MESSAGES, key)
    assert api.multicast(c, users(2), MESSAGES, key) == first  # 409 -> the accepted request id
    with pytest.raises(api.LineError) as err:
        api.validate_multicast(c, [{"type": "image", "originalContentUrl": "http://x/a.jpg", "previewImageUrl": "https://x/b.jpg"}])
    assert err.value.details[0]["property"] == "messages[0].originalContentUrl"
    with pytest.raises(api.LineError) as err:
        api.multicast(c, users(501), MESSAGES, str(uuid.uuid4()))  # the SDK refuses before sending
    assert err.value.kind == "bad_request"
    bad = api.clients(sandbox.url + "/", "")
    with pytest.raises(api.LineError) as err:
        api.quota(bad)
    assert err.value.kind == "auth"
    assert api.quota(c)["used"] == 2


def test_classify_tells_the_two_429s_apart():
    class Fake(Exception):
        def __init__(self, message):
            self.status, self.headers, self.body = 429, {}, '{"message": "%s"}' % message
    assert api.classify(Fake("You have reached your monthly limit.")).kind == "monthly_limit"
    assert api.classify(Fake("The API rate limit has been exceeded. Try again later.")).kind == "rate_limit"
    assert api.classify(TimeoutError("read timed out")).kind == "timeout"


KILLED_SENDER = """
import sys
from dashboard.line import api as line_api
from dashboard.messaging import sending
from dashboard.core import storage
sending.BACKOFF_BASE_S = 0.01
con = storage.connect(sys.argv[1])
print("start", flush=True)
sending.run(con, "d_kill", line_api.clients(sys.argv[2], "token"), on_batch=lambda b: print("batch", b, flush=True))
"""


def test_sigkill_mid_send_then_resume_nobody_missing_nobody_twice(tmp_path, sandbox):
    path = tmp_path / "kill.duckdb"
    con = storage.connect(path)
    sending.plan(con, delivery_id="d_kill", user_ids=users(10_000), messages=MESSAGES)
    con.close()
    sandbox.configure(latency_ms=40, p500_after=0.2)  # slow, and some accepted requests answer 500
    child = subprocess.Popen([sys.executable, "-c", KILLED_SENDER, str(path), sandbox.url], cwd=ROOT,
                             stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    seen = 0
    for line in child.stdout:
        if line.startswith("batch"):
            seen += 1
            if seen == 1:   # the first batch answered, the next group on the wire
                break
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    accepted_before = sandbox.summary()["recipients"]
    assert 0 < accepted_before < 10_000
    sandbox.configure(latency_ms=0, p500_after=0.0)
    con = storage.connect(path)
    assert "d_kill" in sending.resumable(con)
    report = sending.resume_all(con, api.clients(sandbox.url, "token"))[0]
    assert report.status == "sent" and report.sent == 10_000
    summary = sandbox.summary()
    assert summary["recipients"] == 10_000 and summary["deliveries"] == 10_000 and summary["duplicates"] == []
    con.close()


def test_cli_send_dry_run_and_refusals(tmp_path, sandbox, demo_db):
    import shutil
    import json as _json

    db = tmp_path / "cli.duckdb"
    shutil.copy(demo_db, db)
    good = tmp_path / "messages.json"
    good.write_text(_json.dumps(MESSAGES, ensure_ascii=False), encoding="utf-8")
    env = {**os.environ, "LINE_API_BASE_URL": sandbox.url, "DASHBOARD_QUIET_HOURS": "off",
           "DASHBOARD_FREQUENCY_CAP": "50"}
    run = lambda *a: subprocess.run([sys.executable, "-m", "dashboard", "send", "--db", str(db), *a],  # noqa: E731
                                    cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    dry = run("--all", "--messages", str(good), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "recipients:" in dry.stdout and "quota left this month" in dry.stdout and "dry run" in dry.stdout
    assert sandbox.summary()["recipients"] == 0
    too_long = tmp_path / "long.json"
    too_long.write_text(_json.dumps([{"type": "text", "text": "あ" * 5001}]), encoding="utf-8")
    refused = run("--all", "--messages", str(too_long), "--yes")
    assert refused.returncode == 1 and "Bubble 1 text: the length must be between 1 and 5,000" in refused.stdout
    assert sandbox.summary()["recipients"] == 0
    sent = run("--all", "--messages", str(good), "--yes")
    assert sent.returncode == 0, sent.stdout + sent.stderr
    following = int(dry.stdout.split("recipients:")[1].split()[0].replace(",", ""))
    assert sandbox.summary()["recipients"] == following and sandbox.summary()["duplicates"] == []


def test_test_send_goes_by_push_to_each_staff_member(db, sandbox):
    staff = users(2, prefix="f")
    from dashboard.messaging import staff as staff_list
    from dashboard.access.roles import User
    for member in staff:  # test sends reach only the admin's staff list (issue 12)
        staff_list.add(db.cursor(), User("boss", "admin", "local"), member)
    sending.plan(db, delivery_id="t1", user_ids=staff, messages=MESSAGES, kind="test")
    report = sending.run(db, "t1", api.clients(sandbox.url, "token"))
    assert report.status == "sent" and report.sent == 2
    kinds = {r["kind"] for r in sandbox.get("/sandbox/inbox")["requests"]}
    assert kinds == {"push"}
    for user in staff:
        assert len(sandbox.get(f"/sandbox/inbox?user_id={user}")["requests"]) == 1


def test_scheduled_sends_wait_for_their_time(db):
    import datetime as dt

    now = dt.datetime.now(dt.timezone.utc)
    sending.plan(db, delivery_id="due", user_ids=users(3), messages=MESSAGES, status="scheduled",
                 scheduled_at=now - dt.timedelta(minutes=1))
    sending.plan(db, delivery_id="later", user_ids=users(3), messages=MESSAGES, status="scheduled",
                 scheduled_at=now + dt.timedelta(hours=1))
    due = sending.resumable(db.cursor())
    assert "due" in due and "later" not in due


def test_sandbox_broadcast_followers_and_profiles(sandbox):
    import json as _json
    import urllib.request

    followers = users(650)
    sandbox.configure(followers=followers)
    headers = {"authorization": "Bearer t", "content-type": "application/json"}
    request = urllib.request.Request(sandbox.url + "/v2/bot/message/broadcast", method="POST", headers=headers,
                                     data=_json.dumps({"messages": MESSAGES}).encode())
    assert urllib.request.urlopen(request).status == 200
    assert sandbox.summary()["recipients"] == 650
    page = _json.loads(urllib.request.urlopen(urllib.request.Request(
        sandbox.url + "/v2/bot/followers/ids?limit=500", headers=headers)).read())
    assert len(page["userIds"]) == 500 and page["next"] == "500"
    rest = _json.loads(urllib.request.urlopen(urllib.request.Request(
        sandbox.url + "/v2/bot/followers/ids?limit=500&start=500", headers=headers)).read())
    assert len(rest["userIds"]) == 150 and "next" not in rest
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(urllib.request.Request(sandbox.url + "/v2/bot/profile/Unobody", headers=headers))
    assert err.value.code == 404


def test_a_batch_tried_over_a_day_ago_is_never_resent(db, sandbox):
    """LINE forgets retry keys after 24 h: such a batch is left to the operator, not resent."""
    sending.plan(db, delivery_id="old", user_ids=users(1_000), messages=MESSAGES)
    db.execute("update delivery_recipients set attempted_at = current_timestamp - interval 25 hour where batch_no = 0")
    report = sending.run(db, "old", api.clients(sandbox.url, "token"))
    assert report.status == "paused" and "23 h" in report.stop_reason
    counts = dict(db.execute("select status, count(*) from delivery_recipients group by 1").fetchall())
    assert counts == {"unknown": 500, "sent": 500}
    assert sandbox.summary()["recipients"] == 500


def test_no_token_never_reaches_a_remote_host(monkeypatch):
    monkeypatch.delenv("LINE_CHANNEL_ACCESS_TOKEN", raising=False)
    monkeypatch.setenv("LINE_API_BASE_URL", "https://api.line.me")
    with pytest.raises(api.LineError, match="only a sandbox on loopback"):
        api.base_url()
    monkeypatch.delenv("LINE_API_BASE_URL")
    assert api.base_url().startswith("http://127.0.0.1:")
    monkeypatch.setenv("LINE_CHANNEL_ACCESS_TOKEN", "real-token")
    assert api.base_url() == "https://api.line.me"


def test_frequency_cap_counts_a_send_still_in_flight(db, sandbox):
    """Planned rows of a live delivery count against the cap, before they are sent."""
    import datetime as dt

    from dashboard.audience import rules

    friend = users(1, prefix="c")[0]
    db.execute("insert into friends (user_key, user_id, followed_at, last_followed_at, is_following) "
               "values (1, $u, current_timestamp - interval 30 day, current_timestamp - interval 30 day, true)",
               {"u": friend})
    for i in range(3):
        sending.plan(db, delivery_id=f"cap{i}", user_ids=[friend], messages=MESSAGES)  # planned, not sent
    rule = {"version": 1, "rule": {"field": "received", "min": 3, "within_days": 7}}
    compiled = rules.compile_rule(rule, dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=1), use_rollup=False)
    assert [r[1] for r in db.execute(compiled.sql, compiled.params).fetchall()] == [friend]


def test_sandbox_insight_counts_what_it_accepted(db, sandbox):
    import datetime as dt

    _send(db, sandbox, users(700))
    c = api.clients(sandbox.url, "token")
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=9))).strftime("%Y%m%d")
    delivery = c.insight.get_number_of_message_deliveries(today, _request_timeout=api.TIMEOUT)
    assert delivery.api_multicast == 700
    stats = c.insight.get_statistics_per_unit(sending.aggregation_unit("d_test"), "20260101", "20260130",
                                              _request_timeout=api.TIMEOUT)
    assert stats.overview.unique_impression == 350


def test_cli_large_send_on_a_shared_server_asks_for_approval_and_says_so(tmp_path, sandbox, demo_db):
    """Issue 12 point 6: it used to wait for an approval nobody could give (no request was made)."""
    import shutil
    import json as _json

    from dashboard.messaging import approvals

    db = tmp_path / "shared.duckdb"
    shutil.copy(demo_db, db)
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[auth]\nredirect_uri = "http://localhost:8501/oauth2callback"\ncookie_secret = "x"\n'
                       'client_id = "d"\nclient_secret = "x"\n'
                       'server_metadata_url = "https://idp.example.jp/.well-known/openid-configuration"\n')
    good = tmp_path / "messages.json"
    good.write_text(_json.dumps(MESSAGES, ensure_ascii=False), encoding="utf-8")
    env = {**os.environ, "LINE_API_BASE_URL": sandbox.url, "DASHBOARD_QUIET_HOURS": "off", "DASHBOARD_FREQUENCY_CAP": "50",
           "DASHBOARD_SECRETS_FILE": str(secrets), "DASHBOARD_APPROVAL_RECIPIENTS": "10"}
    done = subprocess.run([sys.executable, "-m", "dashboard", "send", "--db", str(db), "--all", "--messages", str(good),
                           "--yes"], cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "waiting for approval" in done.stdout and "Compose page" in done.stdout
    assert sandbox.summary()["recipients"] == 0
    con = storage.connect(db)
    waiting = approvals.pending(con.cursor())
    con.close()
    assert len(waiting) == 1 and waiting["requested_by"][0].startswith("cli:")
