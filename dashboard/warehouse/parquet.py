"""Parquet as the interchange: events by UTC day, the dimension tables as snapshots.

    DIR/events/dt=YYYY-MM-DD/part-<run>-<chunk>.parquet   every event exactly once (payload as text)
    DIR/<table>/snapshot.parquet                           friends, tags, attributes, customers, …
    DIR/_export.json                                       the watermark: how far the events went

Any engine reads it (DuckDB `read_parquet('DIR/events/*/*.parquet', hive_partitioning = true)`,
ClickHouse `file()`/`s3()`, Spark); it is also the "take all your data with you" export.

Exactly once: `events` is append-only, so DuckDB's rowid is the order rows were committed in. An
incremental run writes the events above the watermark and then moves the watermark (an atomic
rename of _export.json). A run that dies before the rename leaves files of a run number the state
does not know yet; the next run deletes them first and writes that run again. When the rows below
the watermark are no longer the ones written (the table was rewritten), the export starts over
with a full one, which also compacts the many small files of out-of-order days.
"""
from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from dashboard.core import config, queries

STATE_FILE = "_export.json"
STATE_VERSION = 1
CHUNK_ROWS = 1_000_000
# snapshot tables: the dimension tables, then what the warehouse's read queries also need
SNAPSHOTS = ("friends", "friend_tags", "friend_attributes", "customers", "deliveries",
             "delivery_recipients", "segments", "delivery_stats", "site_visits", "inflow_routes",
             "segment_sizes", "rollup_friend_firsts", "rollup_active_spells", "rollup_delivery_route",
             "rollup_daily_route", "rollup_richmenu_daily", "rollup_friend_activity", "rollup_state",
             "insight_message_delivery", "rollup_delivery_reactors", "insight_followers")

queries.require("warehouse/events_extent", "warehouse/events_upto", "warehouse/events_between",
                *(f"warehouse/snapshot_{t}" for t in SNAPSHOTS))


@dataclass
class Export:
    directory: Path
    full: bool
    events: int = 0                     # events written by this run
    files: int = 0
    days: set[str] = field(default_factory=set)
    snapshots: dict[str, int] = field(default_factory=dict)   # table -> rows
    watermark: int = -1


def parquet_dir() -> Path | None:
    """DASHBOARD_PARQUET_DIR, or None when the loader writes no Parquet."""
    value = (config.get("DASHBOARD_PARQUET_DIR") or "").strip()
    return Path(value) if value else None


def snapshots_due(directory: Path, now: float | None = None) -> bool:
    """Whether the snapshots are older than DASHBOARD_PARQUET_INTERVAL_S (or missing). New events go
    out after every load; whole tables cost seconds at 1M friends, so they go at their own pace."""
    state = read_state(directory)
    taken = (state or {}).get("snapshots_at")
    if taken is None:
        return True
    now = time.time() if now is None else now
    return now - taken >= config.get_int("DASHBOARD_PARQUET_INTERVAL_S")


def bring_up_to_date(cur, directory: Path | str) -> Export:
    """The loader's and the worker's step: the new events now, the snapshots when due."""
    directory = Path(directory)
    return export(cur, directory, snapshots=snapshots_due(directory))


def _batches(cur, name: str, **params):
    wanted = queries.parameters(name)
    bound = {k: v for k, v in params.items() if k in wanted}
    return cur.sql(queries.sql(name), params=bound or None).to_arrow_reader(CHUNK_ROWS)


def _utc(table: pa.Table) -> pa.Table:
    """Timestamps in UTC (the instants are the same; readers need not know the session's zone)."""
    for i, f in enumerate(table.schema):
        if pa.types.is_timestamp(f.type) and f.type.tz is not None:
            table = table.set_column(i, f.name, pc.cast(table.column(i), pa.timestamp(f.type.unit, tz="UTC")))
    return table


def _first(cur, name: str, **params) -> tuple:
    wanted = queries.parameters(name)
    return cur.execute(queries.sql(name), {k: v for k, v in params.items() if k in wanted}).fetchall()[0]


def read_state(directory: Path) -> dict | None:
    path = Path(directory) / STATE_FILE
    if not path.exists():
        return None
    state = json.loads(path.read_text(encoding="utf-8"))
    return state if state.get("version") == STATE_VERSION else None


def _write_atomic(path: Path, write) -> None:
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _write_state(directory: Path, state: dict) -> None:
    _write_atomic(directory / STATE_FILE,
                  lambda p: p.write_text(json.dumps(state, sort_keys=True), encoding="utf-8"))


def _forget_unfinished(events_dir: Path, run: int) -> None:
    """Delete files of runs at or after `run`: a run that died before moving the watermark."""
    for part in events_dir.glob("dt=*/part-*.parquet"):
        if int(part.name.split("-")[1]) >= run:
            part.unlink()
    for tmp in events_dir.glob("dt=*/*.tmp"):
        tmp.unlink()


def _write_events(cur, events_dir: Path, lo: int, hi: int, run: int, result: Export) -> None:
    reader = _batches(cur, "warehouse/events_between", lo=lo, hi=hi)
    chunk = 0
    for batch in reader:
        table = _utc(pa.Table.from_batches([batch]))
        days = table.column("dt")
        data = table.drop_columns(["dt"])
        for day in pc.unique(days).to_pylist():
            rows = data.filter(pc.equal(days, day))
            folder = events_dir / f"dt={day}"
            folder.mkdir(parents=True, exist_ok=True)
            _write_atomic(folder / f"part-{run:06d}-{chunk:04d}.parquet",
                          lambda p, rows=rows: pq.write_table(rows, p))
            result.files += 1
            result.days.add(day)
        result.events += table.num_rows
        chunk += 1


def write_snapshots(cur, directory: Path, result: Export | None = None) -> dict[str, int]:
    """Every dimension table whole, each replacing its previous snapshot in one rename."""
    counts = {}
    for table in SNAPSHOTS:
        reader = _batches(cur, f"warehouse/snapshot_{table}")
        folder = Path(directory) / table
        folder.mkdir(parents=True, exist_ok=True)
        rows = 0

        def write(path, reader=reader):
            nonlocal rows
            schema = _utc(reader.schema.empty_table()).schema
            with pq.ParquetWriter(path, schema) as writer:
                for batch in reader:
                    writer.write_table(_utc(pa.Table.from_batches([batch])))
                    rows += batch.num_rows
        _write_atomic(folder / "snapshot.parquet", write)
        counts[table] = rows
    if result is not None:
        result.snapshots = counts
    return counts


def export(cur, directory: Path | str, *, full: bool = False, snapshots: bool = True) -> Export:
    """Write the events not yet written (or all of them with `full`) and the snapshots."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    events_dir = directory / "events"
    hi, _count = _first(cur, "warehouse/events_extent")
    state = None if full or not events_dir.is_dir() else read_state(directory)
    if state is not None and state["watermark"] >= 0:
        (still,) = _first(cur, "warehouse/events_upto", hi=state["watermark"])
        if still != state["events"] or state["watermark"] > hi:
            state = None  # the rows under the watermark changed: start over
    result = Export(directory, full=state is None)
    if state is None:
        # a full export goes to a fresh folder that replaces the old one when complete
        fresh = directory / "events.new"
        shutil.rmtree(fresh, ignore_errors=True)
        _write_events(cur, fresh, -1, hi, 1, result)
        fresh.mkdir(exist_ok=True)
        old = directory / "events.old"
        shutil.rmtree(old, ignore_errors=True)
        if events_dir.exists():
            events_dir.rename(old)
        fresh.rename(events_dir)
        shutil.rmtree(old, ignore_errors=True)
        # a new generation: a reader that loaded the old files starts over (warehouse/clickhouse.py)
        state = {"version": STATE_VERSION, "generation": time.time_ns() // 1000, "run": 1,
                 "watermark": hi, "events": result.events}
    else:
        run = state["run"] + 1
        events_dir.mkdir(exist_ok=True)
        _forget_unfinished(events_dir, run)
        if hi > state["watermark"]:
            _write_events(cur, events_dir, state["watermark"], hi, run, result)
        state = {**state, "run": run, "watermark": hi, "events": state["events"] + result.events}
    if snapshots:
        write_snapshots(cur, directory, result)
        state["snapshots_at"] = time.time()
    _write_state(directory, state)
    result.watermark = hi
    return result


def event_files(directory: Path | str) -> list[Path]:
    return sorted((Path(directory) / "events").glob("dt=*/*.parquet"))


def read_events(directory: Path | str) -> pa.Table:
    """Every exported event with its dt partition (for the tests and the warehouse load)."""
    tables = []
    for path in event_files(directory):
        t = pq.read_table(path)
        tables.append(t.append_column("dt", pa.array([path.parent.name[3:]] * t.num_rows, pa.string())))
    if not tables:
        return pa.table({})
    return pa.concat_tables(tables, promote_options="default")


def run_files(directory: Path | str, run: int) -> list[Path]:
    """The event files one export run wrote."""
    return sorted((Path(directory) / "events").glob(f"dt=*/part-{run:06d}-*.parquet"))
