"""Scenario steps through the send engine and the sandbox over HTTP: the welcome by reply token
within its minute and by push after it, and a runner killed with SIGKILL mid-tick, restarted:
nobody twice, nobody missed."""
from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from dashboard.core import storage
from dashboard.line import api
from dashboard.line.sandbox_process import ROOT
from dashboard.messaging import sending
from dashboard.scenarios import funnel, runner, store
from tests.journeys import Journeys

WELCOME = [{"type": "text", "text": "友だち追加ありがとうございます"}]


def scenario(steps: int = 1) -> dict:
    return {"version": 1, "name": "welcome", "trigger": {"type": "follow"}, "window": None,
            "steps": [{"timing": {"after": {"minutes": 0}}, "messages": [{"type": "text", "text": f"step {n}"}]}
                      for n in range(steps)] if steps > 1 else
                     [{"timing": {"after": {"minutes": 0}}, "messages": WELCOME}]}


@pytest.fixture(autouse=True)
def _settings(monkeypatch):
    monkeypatch.setenv("DASHBOARD_QUIET_HOURS", "off")
    monkeypatch.setenv("DASHBOARD_FREQUENCY_CAP", "0")
    monkeypatch.setenv("DASHBOARD_PRICE_PER_EXTRA_MESSAGE", "3")
    monkeypatch.setattr(sending, "BACKOFF_BASE_S", 0.01)
    monkeypatch.setattr(sending, "BACKOFF_CAP_S", 0.05)


def _follow_with_token(j, name: str, at: dt.datetime, token: str) -> None:
    friend = j.friend(name, None, at)
    friend.follow(at)
    j.con.execute("update events set payload = json_merge_patch(payload, $p) where user_id = $u and type = 'follow'",
                  {"p": json.dumps({"replyToken": token}), "u": friend.user_id})


def _inbox(sandbox, user_id: str) -> list[str]:
    return [r["kind"] for r in sandbox.get(f"/sandbox/inbox?user_id={user_id}")["requests"]]


def test_the_welcome_goes_by_reply_within_its_minute_and_by_push_after(tmp_path, sandbox):
    j = Journeys(tmp_path / "reply.duckdb")
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    store.save(j.con, scenario(), "hanako", now=now - dt.timedelta(minutes=10))
    store.set_status(j.con, "welcome", "active", "hanako", now=now - dt.timedelta(minutes=10))
    _follow_with_token(j, "Fresh", now - dt.timedelta(seconds=5), "token-fresh")       # 55 s left
    _follow_with_token(j, "Stale", now - dt.timedelta(minutes=2), "token-stale")       # the minute is over
    _follow_with_token(j, "Lost", now - dt.timedelta(seconds=5), "token-lost")         # LINE no longer takes it
    issued = {"token-fresh": now - dt.timedelta(seconds=5), "token-stale": now - dt.timedelta(minutes=2),
              "token-lost": now - dt.timedelta(minutes=5)}
    sandbox.configure(reply_tokens={token: {"user_id": j[name].user_id, "issued_at": issued[token].isoformat()}
                                    for name, token in (("Fresh", "token-fresh"), ("Stale", "token-stale"),
                                                        ("Lost", "token-lost"))})
    clients = api.clients(sandbox.url, "token")
    try:
        report = runner.tick(j.con, now=now, send=True, clients=clients)
    finally:
        clients.close()
    assert report.planned == {("welcome", 0): 3} and all(r.status == "sent" for r in report.sent)
    assert _inbox(sandbox, j["Fresh"].user_id) == ["reply"]
    assert _inbox(sandbox, j["Stale"].user_id) == ["multicast"]  # never tried: paid, with the step's other friends
    assert _inbox(sandbox, j["Lost"].user_id) == ["push"]        # LINE said "Invalid reply token": pushed
    summary = sandbox.summary()
    assert summary["duplicates"] == [] and summary["usage"] == 2   # the reply used no quota
    savings = funnel.reply_savings(j.con.cursor(), "welcome")
    assert savings == {"reply": 1, "push": 2, "yen_saved": 3.0}
    j.con.close()


def test_a_reply_whose_answer_was_lost_is_never_pushed_as_well(tmp_path, sandbox):
    """LINE accepted the reply but the answer was a 500: the retry's "Invalid reply token" means
    the first one went through (single use), so the engine records it as sent and pushes nothing."""
    j = Journeys(tmp_path / "lost.duckdb")
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    store.save(j.con, scenario(), "hanako", now=now - dt.timedelta(minutes=10))
    store.set_status(j.con, "welcome", "active", "hanako", now=now - dt.timedelta(minutes=10))
    _follow_with_token(j, "Aoi", now - dt.timedelta(seconds=2), "token-aoi")
    sandbox.configure(reply_tokens={"token-aoi": {"user_id": j["Aoi"].user_id, "issued_at": now.isoformat()}},
                      p500_after=1.0)
    clients = api.clients(sandbox.url, "token")
    try:
        report = runner.tick(j.con, now=now, send=True, clients=clients)
    finally:
        clients.close()
    assert report.sent[0].status == "sent" and report.sent[0].sent == 1
    assert _inbox(sandbox, j["Aoi"].user_id) == ["reply"]
    assert j.con.execute("select via, status from delivery_recipients").fetchone() == ("reply", "sent")
    j.con.close()


KILLED_RUNNER = """
import sys
from dashboard.scenarios import runner
from dashboard.__main__ import main
runner.CHUNK = 250     # many small step deliveries: the kill lands between and inside them
sys.exit(main(["scenarios", "--db", sys.argv[1], "run", "--until", sys.argv[2]]))
"""


def _runner(db, sandbox, seconds: float) -> subprocess.Popen:
    until = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=seconds)).isoformat()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LINE_API_BASE_URL": sandbox.url, "DASHBOARD_QUIET_HOURS": "off",
           "DASHBOARD_FREQUENCY_CAP": "0"}
    env.pop("LINE_CHANNEL_ACCESS_TOKEN", None)
    return subprocess.Popen([sys.executable, "-c", KILLED_RUNNER, str(db), until], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_sigkill_during_a_tick_then_restart_no_duplicate_and_no_miss(tmp_path, sandbox):
    path = tmp_path / "killed.duckdb"
    j = Journeys(path)
    now = dt.datetime.now(dt.timezone.utc)
    store.save(j.con, scenario(steps=3), "hanako", now=now - dt.timedelta(hours=1))
    store.set_status(j.con, "welcome", "active", "hanako", now=now - dt.timedelta(hours=1))
    friends = 2_000
    follow = now - dt.timedelta(minutes=30)
    j.con.execute("""
        insert into friends (user_key, user_id, followed_at, last_followed_at, is_following)
        select i, 'U' || lpad(printf('%x', i), 32, '0'), $t, $t, true from range(1, $n + 1) r(i)""",
                  {"t": follow, "n": friends})
    j.con.execute("""
        insert into events (event_id, user_key, user_id, type, occurred_at, received_at, payload)
        select 'f' || user_key, user_key, user_id, 'follow', $t, $t, '{}' from friends""", {"t": follow})
    j.con.close()
    sandbox.configure(latency_ms=60)      # about 60 ms a batch: the kill lands mid-send
    child = _runner(path, sandbox, 120)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and sandbox.summary()["deliveries"] < 1_500:
        time.sleep(0.05)
    os.kill(child.pid, signal.SIGKILL)
    child.wait(10)
    got_before = sandbox.summary()["deliveries"]
    assert 0 < got_before < 3 * friends, "the kill should land mid-run"
    sandbox.configure(latency_ms=0)
    again = _runner(path, sandbox, 20)    # one step a friend and tick: 3 ticks a second apart, after start-up
    out, _ = again.communicate(timeout=120)
    assert again.returncode == 0, out
    records = [json.loads(line) for line in (tmp_path / "sandbox" / "inbox.jsonl").read_text().splitlines()]
    received: dict[tuple[str, str], int] = {}
    for record in records:
        for user in record["to"]:
            key = (user, record["messages"][0]["text"])
            received[key] = received.get(key, 0) + 1
    assert len(received) == 3 * friends                                  # nobody missed a step
    assert [k for k, n in received.items() if n > 1] == []               # nobody got one twice
    con = storage.connect(path)
    try:
        assert con.execute("select status, count(*) from scenario_enrolments group by 1").fetchall() == \
            [("completed", friends)]
        assert con.execute("select count(*) from delivery_recipients where status = 'sent'").fetchone()[0] == 3 * friends
    finally:
        con.close()
