"""Restore (issue 20): the dashboard leaves no WAL on a clean stop; `python -m dashboard restore`
refuses a file in use, a backup it cannot read or a newer schema, sets the old file and its WAL
aside, and the dashboard starts on the restored file."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import duckdb
import pytest

from dashboard.core import backup, storage
from tests.test_browser import _start_app, _stop_app
from tests.test_ingest import ALICE, event, record, spool

ROOT = Path(__file__).resolve().parent.parent


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dashboard", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=120)


def _marker(db: Path) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("select count(*) from inflow_routes where route = 'after_backup'").fetchone()[0]
    finally:
        con.close()


def test_stop_restore_start(demo_copy, tmp_path):
    made = cli("backup", "--db", str(demo_copy), "--dir", str(tmp_path / "backups"))
    assert made.returncode == 0, made.stderr
    copy = Path(made.stdout.strip())
    con = storage.connect(demo_copy)
    con.execute("insert into inflow_routes (route, name_ja, name_en) values ('after_backup', 'a', 'a')")
    con.close()
    spool(tmp_path / "spool", record(event("follow", ALICE)))    # the running dashboard writes: a WAL
    env = {"DASHBOARD_DB": str(demo_copy), "DASHBOARD_SPOOL": str(tmp_path / "spool")}
    proc, url = _start_app(env, tmp_path)
    try:
        _until_loaded(url)
        refused = cli("restore", str(copy), env=env)       # the running dashboard holds the file
        assert refused.returncode == 1 and "held by a running dashboard" in refused.stderr
        assert _marker_while_running(url)
    finally:
        _stop_app(proc)
    assert not Path(str(demo_copy) + ".wal").exists(), "a clean stop checkpoints: no WAL left behind"
    assert _marker(demo_copy) == 1
    assert _events_of(demo_copy, ALICE) == 1                  # loaded while it ran, kept by the checkpoint
    done = cli("restore", str(copy), env=env)
    assert done.returncode == 0, done.stderr
    assert "schema version" in done.stdout and "set aside" in done.stdout
    assert _marker(demo_copy) == 0                          # the backup's content
    assert len(list(tmp_path.glob("demo_copy.duckdb.before-restore-*"))) == 1
    proc, url = _start_app(env, tmp_path)
    try:
        health = _healthz(url)
        assert health["duties"]["database"]["state"] == "ok", health
    finally:
        _stop_app(proc)


def _healthz(url: str) -> dict:
    for _ in range(100):   # the worker's first round runs right after start
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=5) as r:
                body = json.loads(r.read())
        except urllib.error.HTTPError as err:
            body = json.loads(err.read())
        if body["duties"]["database"]["state"] != "waiting":
            return body
        time.sleep(0.1)
    return body


def _until_loaded(url: str) -> None:
    for _ in range(100):
        if _healthz(url)["duties"]["loader"]["runs"] >= 1:
            return
        time.sleep(0.1)
    pytest.fail("the loader did not run")


def _marker_while_running(url: str) -> bool:
    health = _healthz(url)
    return health["worker_running"] and health["duties"]["database"]["state"] == "ok"


def _events_of(db: Path, user: str) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("select count(*) from events where user_id = $u", {"u": user}).fetchone()[0]
    finally:
        con.close()


def test_a_stale_wal_is_set_aside_and_the_backup_opens(demo_copy, tmp_path):
    con = storage.connect(demo_copy)
    target = backup.make(con, tmp_path / "backups")
    con.close()
    other = tmp_path / "other.duckdb"                       # a WAL that does not match the file
    c = duckdb.connect(str(other))
    c.execute("create table x (i int)")
    c.execute("insert into x values (1)")
    shutil.copy(str(other) + ".wal", str(demo_copy) + ".wal")
    c.close()
    os.chmod(demo_copy, 0o640)
    done = backup.restore(target, demo_copy)
    assert sorted(p.name.split(".before-restore-")[0] for p in done.set_aside) == ["demo_copy.duckdb",
                                                                                  "demo_copy.duckdb.wal"]
    assert done.version == storage.current_version()
    assert not Path(str(demo_copy) + ".wal").exists()
    assert demo_copy.stat().st_mode & 0o777 == 0o600          # private, as every open makes it (issue 12)
    storage.connect(demo_copy, read_only=True).close()


def test_a_held_file_is_never_replaced(demo_copy, tmp_path):
    con = storage.connect(demo_copy)
    target = backup.make(con, tmp_path / "backups")
    con.close()
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
                               "print('ok', flush=True); time.sleep(60)", str(demo_copy)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ok"
        before = demo_copy.stat().st_mtime_ns
        with pytest.raises(storage.StorageError, match="held by a running dashboard"):
            backup.restore(target, demo_copy)
        assert demo_copy.stat().st_mtime_ns == before and not list(tmp_path.glob("*.before-restore-*"))
    finally:
        holder.kill()
        holder.wait()


def test_a_backup_that_cannot_be_restored_changes_nothing(demo_copy, tmp_path):
    text = tmp_path / "notes.duckdb"
    text.write_text("not a database")
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    newer = tmp_path / "newer.duckdb"
    shutil.copy(demo_copy, newer)
    c = duckdb.connect(str(newer))
    c.execute("insert into schema_version (version, note) values (999, 'from the future')")
    c.close()
    for bad, reason in ((tmp_path / "missing.duckdb", "no backup file"), (text, "does not open"),
                        (empty, "empty DuckDB file"), (newer, "newer than this program")):
        with pytest.raises(storage.StorageError, match=reason):
            backup.restore(bad, demo_copy)
    assert not list(tmp_path.glob("*.before-restore-*")) and not list(tmp_path.glob("*.restoring"))
    result = cli("restore", str(text), "--db", str(demo_copy))
    assert result.returncode == 1 and result.stderr.startswith("error: notes.duckdb does not open")
