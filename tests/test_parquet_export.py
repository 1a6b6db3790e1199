"""The Parquet export (issue 17, point 1), a second reader beside tests/test_warehouse_parquet.py: any
sequence of event inserts (late arrivals into old days among them), deletions and exports between them
leaves the folder holding exactly the database's events — each once, under its UTC day — the same as one
full export into an empty folder; files already written are not rewritten by an incremental run; a
process killed mid-export is repaired by the next run. Real DuckDB files, generated input."""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
from hypothesis import HealthCheck, given, settings, strategies as st

from dashboard.core import storage
from dashboard.warehouse import parquet

ROOT = Path(__file__).resolve().parent.parent
START = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)


def _insert(con, events: list[tuple[str, int]]) -> None:
    """(event_id, minutes after START) each; a JSON payload with Japanese text, like LINE's."""
    for event_id, minutes in events:
        con.execute("insert into events (event_id, user_id, type, occurred_at, received_at, payload) "
                    "values ($id, 'U' || md5($id), 'message', $at, $at, $payload)",
                    {"id": event_id, "at": START + dt.timedelta(minutes=minutes),
                     "payload": json.dumps({"text": f"こんにちは {event_id}"}, ensure_ascii=False)})


def _read(folder: Path) -> list[tuple]:
    files = sorted(folder.glob("events/dt=*/*.parquet"))
    if not files:
        return []
    con = duckdb.connect()
    rows = con.execute("select event_id, occurred_at, payload, dt::varchar from read_parquet($files, hive_partitioning = true) "
                       "order by event_id", {"files": [str(f) for f in files]}).fetchall()
    con.close()
    return rows


def _expected(con) -> list[tuple]:
    return con.execute("select event_id, occurred_at, payload::varchar, strftime(timezone('UTC', occurred_at), '%Y-%m-%d') "
                       "from events order by event_id").fetchall()


# a step: insert a few events (minutes spread over five days, so old days get late arrivals), delete
# one, or export
steps = st.lists(st.one_of(
    st.tuples(st.just("insert"), st.lists(st.integers(0, 5 * 24 * 60 - 1), min_size=1, max_size=6)),
    st.tuples(st.just("delete"), st.integers(0, 1_000)),
    st.tuples(st.just("export"), st.none())), min_size=1, max_size=12)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps)
def test_incremental_exports_equal_one_full_export(tmp_path_factory, plan):
    base = tmp_path_factory.mktemp("pq")
    con = storage.connect(base / "db.duckdb")
    n = 0
    try:
        for kind, value in plan:
            if kind == "insert":
                _insert(con, [(f"e{n + i}", m) for i, m in enumerate(value)])
                n += len(value)
            elif kind == "delete":
                ids = [r[0] for r in con.execute("select event_id from events order by event_id").fetchall()]
                if ids:
                    con.execute("delete from events where event_id = $id", {"id": ids[value % len(ids)]})
            else:
                parquet.export(con, base / "inc", snapshots=False)
        parquet.export(con, base / "inc", snapshots=False)
        parquet.export(con, base / "full", snapshots=False)
        expected = _expected(con)
    finally:
        con.close()
    incremental, full = _read(base / "inc"), _read(base / "full")
    assert incremental == full == expected
    assert len({r[0] for r in incremental}) == len(incremental)        # each event once


def test_an_incremental_run_leaves_the_files_written_and_adds_the_snapshots(tmp_path):
    con = storage.connect(tmp_path / "db.duckdb")
    try:
        _insert(con, [("a", 10), ("b", 24 * 60 + 5), ("c", 2 * 24 * 60)])
        first = parquet.export(con, tmp_path / "out")
        assert first.full and (first.events, len(first.days)) == (3, 3) and first.snapshots["friends"] == 0
        written = {p: p.stat().st_mtime_ns for p in parquet.event_files(tmp_path / "out")}
        _insert(con, [("d", 2 * 24 * 60 + 30)])                       # only the third day gets an event
        second = parquet.export(con, tmp_path / "out")
        assert not second.full and (second.events, second.days) == (1, {"2026-11-03"})
        assert {p: p.stat().st_mtime_ns for p in written} == written
        assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
            [parquet.STATE_FILE, "events", *parquet.SNAPSHOTS])
        assert _read(tmp_path / "out") == _expected(con)
    finally:
        con.close()


CRASHING_EXPORT = """
import os, sys
from dashboard.core import storage
from dashboard.warehouse import parquet
con = storage.connect(sys.argv[1])
parquet.export(con, sys.argv[2], snapshots=False)
con.execute("insert into events (event_id, user_id, type, occurred_at, received_at, payload) "
            "select 'late' || i, 'U1', 'message', timestamptz '2026-11-02 03:00:00+00' + i * interval 1 hour, now(), '{}' "
            "from range(30) t(i)")
parquet._write_state = lambda directory, state: os._exit(9)   # killed after its files, before the watermark
parquet.export(con, sys.argv[2], snapshots=False)
"""


def test_a_process_killed_mid_export_is_repaired_by_the_next_run(tmp_path):
    path = tmp_path / "db.duckdb"
    con = storage.connect(path)
    _insert(con, [(f"e{i}", i * 6 * 60) for i in range(20)])          # five days
    con.close()
    child = subprocess.run([sys.executable, "-c", CRASHING_EXPORT, str(path), str(tmp_path / "out")], cwd=ROOT,
                           env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True)
    assert child.returncode == 9, child.stderr
    assert not list((tmp_path / "out").glob("events/*/*.tmp"))          # nothing half-written in place
    assert len(parquet.read_events(tmp_path / "out")) == 50            # the dead run's files are there …
    con = storage.connect(path)
    try:
        again = parquet.export(con, tmp_path / "out", snapshots=False)
        assert not again.full and again.events == 30                   # … and the next run writes them again once
        assert _read(tmp_path / "out") == _expected(con)
    finally:
        con.close()
