"""The Parquet export (issue 17, point 1): any sequence of event inserts, redeliveries into old days,
deletions and exports between them leaves the folder holding exactly the database's events — each
once, in the file of its UTC day — the same as one full export into an empty folder; unchanged days
are not rewritten; a crash mid-export is repaired by the next run. Real DuckDB files, generated input."""
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


def test_unchanged_days_are_not_rewritten_and_snapshots_are_written(tmp_path):
    con = storage.connect(tmp_path / "db.duckdb")
    try:
        _insert(con, [("a", 10), ("b", 24 * 60 + 5), ("c", 2 * 24 * 60)])
        first = parquet.export(con, tmp_path / "out")
        assert first["days_written"] == 3 and first["events_written"] == 3 and first["snapshots"]["friends"] == 0
        day_one = tmp_path / "out" / "events" / "dt=2026-11-01" / "part-0.parquet"
        stamp = day_one.stat().st_mtime_ns
        _insert(con, [("d", 2 * 24 * 60 + 30)])                       # only the third day changes
        second = parquet.export(con, tmp_path / "out")
        assert (second["days_written"], second["events_written"]) == (1, 2)
        assert day_one.stat().st_mtime_ns == stamp
        assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
            [parquet.MANIFEST, "events", *parquet.SNAPSHOTS])
    finally:
        con.close()


CRASHING_EXPORT = """
import os, sys
from dashboard.core import storage
from dashboard.warehouse import parquet
written = []
real = parquet._save_manifest
def dying(out, manifest):   # the process dies right after its second day's file is in place
    real(out, manifest) if len(written) < 1 else os._exit(9)
    written.append(1)
parquet._save_manifest = dying
parquet.export(storage.connect(sys.argv[1], read_only=True), sys.argv[2], snapshots=False)
"""


def test_a_crash_mid_export_is_repaired_by_the_next_run(tmp_path):
    path = tmp_path / "db.duckdb"
    con = storage.connect(path)
    _insert(con, [(f"e{i}", i * 6 * 60) for i in range(20)])          # five days
    con.close()
    child = subprocess.run([sys.executable, "-c", CRASHING_EXPORT, str(path), str(tmp_path / "out")], cwd=ROOT,
                           env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True)
    assert child.returncode == 9, child.stderr
    assert not list((tmp_path / "out").glob("events/*/*.tmp"))          # nothing half-written in place
    con = storage.connect(path)
    try:
        again = parquet.export(con, tmp_path / "out", snapshots=False)
        assert again["days_written"] == 4                                  # the day the manifest missed, and the rest
        assert _read(tmp_path / "out") == _expected(con)
    finally:
        con.close()
