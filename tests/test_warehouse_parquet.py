"""The Parquet interchange (issue 17): every event exactly once, by UTC day, whatever the loads.

Invariant (hypothesis): events committed in any sequence of loads, each followed by an incremental
export (some of them interrupted before the watermark moved), give the same set of events as one
full export — none missing, none twice — each in the folder of its UTC day.
"""
from __future__ import annotations

import datetime as dt
import json

import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from dashboard.core import storage
from dashboard.warehouse import parquet

BASE = dt.datetime(2026, 11, 20, 14, 0, tzinfo=dt.timezone.utc)   # 23:00 in Tokyo: days differ by zone


def _insert(cur, first: int, offsets: list[int]) -> None:
    if not offsets:
        return
    rows = [(f"ev{first + i}", "message" if i % 2 else "postback", BASE + dt.timedelta(minutes=m),
             json.dumps({"n": first + i})) for i, m in enumerate(offsets)]
    cur.executemany("insert into events (event_id, user_key, user_id, type, occurred_at, payload) "
                    "values (?, 1, 'U1', ?, ?, ?)", rows)


def _exported(directory) -> list[tuple]:
    table = parquet.read_events(directory)
    if not table.num_rows:
        return []
    return sorted(zip(table.column("event_id").to_pylist(), table.column("dt").to_pylist(),
                      table.column("payload").to_pylist()))


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    path = tmp_path_factory.mktemp("pq") / "events.duckdb"
    con = storage.connect(path)
    yield con
    con.close()


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(loads=st.lists(st.tuples(st.lists(st.integers(-3000, 3000), max_size=12), st.booleans()),
                      min_size=1, max_size=5))
def test_incremental_exports_equal_one_full_export(database, tmp_path_factory, loads):
    cur = database.cursor()
    cur.execute("delete from events")   # a fresh account per example (rowids keep growing: fine)
    inc, full = tmp_path_factory.mktemp("inc"), tmp_path_factory.mktemp("full")
    n = 0
    for offsets, interrupted in loads:
        _insert(cur, n, offsets)
        n += len(offsets)
        if interrupted:
            # the run writes its files but dies before moving the watermark
            state = parquet.read_state(inc)
            parquet.export(cur, inc, snapshots=False)
            if state is not None:
                parquet._write_state(inc, state)
        parquet.export(cur, inc, snapshots=False)
    parquet.export(cur, full, full=True, snapshots=False)
    got, want = _exported(inc), _exported(full)
    assert got == want
    assert len({e for e, _, _ in got}) == len(got) == n   # each event once
    for event_id, day, payload in got:   # the UTC day of its occurred_at; payload as text
        i = int(event_id[2:])
        assert json.loads(payload) == {"n": i}
    table = parquet.read_events(inc)
    for ts, day in [] if not n else zip(table.column("occurred_at").to_pylist(), table.column("dt").to_pylist()):
        assert ts.astimezone(dt.timezone.utc).date().isoformat() == day


def test_demo_export_full_then_incremental(demo_db, tmp_path):
    con = storage.connect(demo_db, read_only=True)
    try:
        first = parquet.export(con.cursor(), tmp_path)
        again = parquet.export(con.cursor(), tmp_path)
        (events,) = con.execute("select count(*) from events").fetchone()
        (friends,) = con.execute("select count(*) from friends").fetchone()
    finally:
        con.close()
    assert first.full and first.events == events and not again.full and again.events == 0
    assert parquet.read_events(tmp_path).num_rows == events
    snapshot = pq.read_table(tmp_path / "friends" / "snapshot.parquet")
    assert snapshot.num_rows == friends
    assert str(snapshot.schema.field("followed_at").type) == "timestamp[us, tz=UTC]"
    assert all(p.parent.name.startswith("dt=") and len(p.parent.name) == 13 for p in parquet.event_files(tmp_path))


def test_a_rewritten_table_starts_a_full_export(database, tmp_path):
    cur = database.cursor()
    cur.execute("delete from events")
    _insert(cur, 0, [0, 1, 2])
    parquet.export(cur, tmp_path, snapshots=False)
    cur.execute("delete from events where event_id = 'ev1'")   # the rows under the watermark changed
    result = parquet.export(cur, tmp_path, snapshots=False)
    assert result.full
    assert [e for e, _, _ in _exported(tmp_path)] == ["ev0", "ev2"]


def test_the_command_and_the_worker_duty_write_the_interchange(demo_copy, tmp_path, monkeypatch, capsys):
    from dashboard import worker
    from dashboard.__main__ import main

    assert main(["export", "--parquet", str(tmp_path / "cli"), "--db", str(demo_copy)]) == 0
    assert "full export" in capsys.readouterr().out
    assert main(["export", "--parquet", str(tmp_path / "cli"), "--db", str(demo_copy)]) == 0
    assert "incremental export" in capsys.readouterr().out and parquet.read_state(tmp_path / "cli")["run"] == 2
    con = storage.connect(demo_copy)
    try:
        monkeypatch.delenv("DASHBOARD_PARQUET_DIR", raising=False)
        assert worker._warehouse(con) == "off"
        monkeypatch.setenv("DASHBOARD_PARQUET_DIR", str(tmp_path / "duty"))
        worker._warehouse(con)
        (events,) = con.execute("select count(*) from events").fetchone()
    finally:
        con.close()
    assert parquet.read_state(tmp_path / "duty")["events"] == events
