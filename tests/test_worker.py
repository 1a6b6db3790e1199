"""The worker's duties fail alone (issue 20): a broken backup folder, a broken spool or a LINE that
answers 500 each stop only their own duty, which backs off; the others keep running and every
duty's state shows in /healthz. Driven tick by tick on a made-up clock, with a real DuckDB file,
a real spool folder and the real sandbox over HTTP."""
from __future__ import annotations

import asyncio
import datetime as dt
import json

import pytest

from dashboard import health, worker
from dashboard.messaging import sending
from dashboard.core import storage
from tests.test_ingest import ALICE, BOB, event, record, spool
from tests.test_sending import MESSAGES, users


@pytest.fixture
def env(tmp_path, monkeypatch, sandbox):
    db = tmp_path / "data" / "dashboard.duckdb"
    storage.connect(db).close()
    for name, value in {"DASHBOARD_DB": str(db), "DASHBOARD_SPOOL": str(tmp_path / "spool"),
                        "DASHBOARD_BACKUP_DIR": str(tmp_path / "backups"), "DASHBOARD_BACKUP_HOUR": "0",
                        "DASHBOARD_INGEST_INTERVAL_S": "1", "DASHBOARD_QUIET_HOURS": "off",
                        "LINE_API_BASE_URL": sandbox.url}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(sending, "BACKOFF_BASE_S", 0.001)
    monkeypatch.setattr(sending, "BACKOFF_CAP_S", 0.002)
    (tmp_path / "spool").mkdir()
    worker.reset()
    yield tmp_path
    worker.stop()
    worker.reset()


def _plan_due(delivery_id: str, n: int = 3) -> None:
    con = storage.connect(worker.config.db_path())  # the worker's instance (same file, same process)
    sending.plan(con, delivery_id=delivery_id, user_ids=users(n, delivery_id[-1]), messages=MESSAGES,
                 status="scheduled", scheduled_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1))


def _status(delivery_id: str) -> str:
    thread = worker._sending.get(delivery_id)   # the send runs on its own thread
    if thread is not None:
        thread.join(60)
    con = storage.connect(worker.config.db_path())
    return con.execute("select status from deliveries where delivery_id = $d", {"d": delivery_id}).fetchone()[0]


def _run(seconds: int, start: int = 0) -> None:
    for t in range(start, start + seconds):
        worker.tick(float(t))


def _state() -> dict:
    return {row["duty"]: row for row in worker.status()}


def test_a_backup_folder_that_cannot_be_written_stops_only_backups(env):
    (env / "backups").write_text("a file where the folder should be")  # even root cannot write into it
    _plan_due("d_1")
    spool(env / "spool", record(event("follow", ALICE)))
    _run(15)
    state = _state()
    assert state["backup"]["state"] == "failing"
    assert state["backup"]["runs"] == 4          # t = 0, 2, 6, 14: backoff 2, 4, 8 s
    assert state["backup"]["failures"] == 4 and state["backup"]["last_success"] is None
    assert str(env) not in state["backup"]["last_error"] and "backups" in state["backup"]["last_error"]
    assert state["sends"]["runs"] == 15 and state["sends"]["state"] == "ok"   # checked every second
    assert state["loader"]["runs"] == 15 and state["loader"]["state"] == "ok"
    assert _status("d_1") == "sent"
    _plan_due("d_2")                              # a send scheduled while backups still fail goes out
    _run(1, start=15)
    assert _status("d_2") == "sent"
    con = storage.connect(worker.config.db_path())
    assert con.execute("select count(*) from events where user_id = $u", {"u": ALICE}).fetchone()[0] == 1
    (env / "backups").unlink()                    # the administrator fixes the folder
    _run(17, start=16)                            # next try at 30 s (14 + 16)
    assert _state()["backup"]["state"] == "ok" and _state()["backup"]["failures"] == 0
    assert len(list((env / "backups").glob("dashboard-*.duckdb"))) == 1


def test_a_broken_spool_stops_only_the_loader(env):
    spool(env / "spool", record(event("follow", BOB)), name="20260101-00.jsonl")
    (env / "spool" / "20260101-01.jsonl").mkdir()    # read fails: IsADirectoryError
    _plan_due("d_3")
    _run(8)
    state = _state()
    assert state["loader"]["state"] == "failing" and state["loader"]["runs"] == 3   # t = 0, 2, 6
    assert "IsADirectoryError" in state["loader"]["last_error"] and str(env) not in state["loader"]["last_error"]
    assert state["backup"]["state"] == "ok" and len(list((env / "backups").glob("dashboard-*.duckdb"))) == 1
    assert state["sends"]["runs"] == 8 and _status("d_3") == "sent"


def test_a_line_that_answers_500_pauses_the_send_and_the_others_run(env, sandbox):
    sandbox.configure(endpoint_errors={"/v2/bot/message/multicast": 500})
    _plan_due("d_4")
    spool(env / "spool", record(event("follow", ALICE)))
    _run(3)
    assert _status("d_4") == "paused"
    _run(1, start=3)
    state = _state()
    assert "d_4: paused" in state["sends"]["last_error"] and "500" in state["sends"]["last_error"]
    assert state["loader"]["state"] == "ok" and state["backup"]["state"] == "ok"
    assert state["sends"]["runs"] == 4            # a paused send is not retried in a loop: no backoff needed


def test_healthz_says_which_duty_fails_without_paths_or_secrets(env, monkeypatch):
    monkeypatch.setenv("LINE_CHANNEL_SECRET", "s3cr3t-channel-secret")
    (env / "backups").write_text("not a folder")
    worker.tick(0.0)
    monkeypatch.setattr(worker, "running", lambda: True)   # the loop itself is not started here
    answer = asyncio.run(health.healthz(None))
    assert answer.status_code == 503
    text = answer.body.decode()
    body = json.loads(text)
    assert body["duties"]["backup"]["state"] == "failing" and body["duties"]["sends"]["state"] == "ok"
    assert body["duties"]["backup"]["next_try"] > body["duties"]["backup"]["last_error_at"]
    assert str(env) not in text and "s3cr3t" not in text
    (env / "backups").unlink()
    worker.tick(2.0)
    assert asyncio.run(health.healthz(None)).status_code == 200
    monkeypatch.setattr(worker, "running", lambda: False)
    assert asyncio.run(health.healthz(None)).status_code == 503   # no worker: nothing is loaded or sent


def test_one_line_hides_secret_values_and_folders(monkeypatch):
    monkeypatch.setenv("LINE_CHANNEL_ACCESS_TOKEN", "tok-123456789")
    text = worker.one_line(OSError('IO Error: Cannot open file "/srv/x/backups/dashboard-1.partial":\n'
                                   "Permission denied (token tok-123456789)"))
    assert text == 'OSError: IO Error: Cannot open file "…/dashboard-1.partial": Permission denied (token ***)'


def test_the_data_page_shows_each_duty_and_names_the_failing_one(env):
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    (env / "backups").write_text("not a folder")
    worker.tick(0.0)
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "dashboard" / "web" / "navigation.py"),
                           default_timeout=60)
    at.run()
    at.switch_page("../../pages/data.py").run()
    assert not at.exception, at.exception
    assert any("失敗している処理があります: 日次バックアップ" in e.value for e in at.error)
    table = next(d.value for d in at.dataframe if "duty" in d.value.columns)
    rows = {r["duty"]: r for r in table.to_dict("records")}
    assert rows["日次バックアップ"]["state"] == "失敗（再試行待ち）" and rows["日次バックアップ"]["failures"] == 1
    assert "FileExistsError" in rows["日次バックアップ"]["last_error"] and str(env) not in rows["日次バックアップ"]["last_error"]
    assert rows["予約・中断した配信"]["state"] == "正常" and rows["Webhookの取り込み"]["state"] == "正常"
    assert any("バックグラウンド処理が動いていません" in c.value for c in at.caption)   # AppTest starts no worker


def test_one_line_keeps_urls_and_protocols_readable():
    assert worker.one_line("LINE https://api.line.me/v2/bot/message/multicast HTTP/1.1 500") == \
        "LINE https://api.line.me/v2/bot/message/multicast HTTP/1.1 500"


def test_background_threads_carry_an_os_name_the_sessions_benchmark_reads():
    """bench/sessions.py tells the background's CPU from the pages' by /proc/<pid>/task/<tid>/comm."""
    import os
    import threading
    from pathlib import Path

    from bench.sessions import BACKGROUND, _background_cpu

    seen, go_on = {}, threading.Event()

    def body():
        worker.native_name("dash-worker")
        seen["tid"] = threading.get_native_id()
        sum(i * i for i in range(200_000))   # some CPU of its own
        go_on.wait(5)

    thread = threading.Thread(target=body)
    thread.start()
    try:
        while "tid" not in seen:
            pass
        if not Path(f"/proc/{os.getpid()}/task").exists():
            return   # not Linux: nothing to read
        comm = Path(f"/proc/{os.getpid()}/task/{seen['tid']}/comm").read_text().strip()
        assert comm == "dash-worker" and comm in BACKGROUND
        assert _background_cpu(os.getpid()) >= 0.0
        assert threading.current_thread().native_id != seen["tid"]
    finally:
        go_on.set()
        thread.join()
