"""`python -m dashboard bench --warehouse [--friends N]`: the pages and the 5-condition segment on
DuckDB and on embedded ClickHouse (chdb), side by side, over the same demo account (issue 17).

The DuckDB file is exported to Parquet (timed), loaded into chdb (timed), then every page's
questions (bench/pages.py PAGES, the same metrics calls the pages make) and the Segments page's
rules run under DASHBOARD_ENGINE=duckdb and =clickhouse, alternating, one warm-up then `repeat`
runs each; a time is the median. The answers of both engines are compared as the test does.
"""
from __future__ import annotations

import os
import shutil
import statistics
import time
from pathlib import Path

from dashboard.core import config, storage
from dashboard.warehouse import clickhouse, engine, parquet

from bench import pages as page_bench


def _median(fn, repeat: int) -> tuple[float, object]:
    result = fn()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def _on(engine_name: str):
    os.environ["DASHBOARD_ENGINE"] = engine_name


def warehouse_bench(friends: int, db: str | None = None, repeat: int = 5) -> str:
    from dashboard.audience import running

    path = Path(db) if db else config.ROOT / "data" / f"bench-{friends}.duckdb"
    if not path.exists():
        from bench import measure

        measure._build(path, friends)
    work = path.with_name(path.stem + "-warehouse")
    shutil.rmtree(work, ignore_errors=True)
    con = storage.connect(path, read_only=True)
    cur = con.cursor()
    lines = [f"Warehouse benchmark: {path.name}, load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} cores", ""]
    started = time.perf_counter()
    exported = parquet.export(cur, work / "parquet")
    export_s = time.perf_counter() - started
    size = sum(p.stat().st_size for p in (work / "parquet").rglob("*.parquet"))
    warehouse = clickhouse.Warehouse(clickhouse.Chdb(work / "chdb"), account_id="bench")
    loaded = warehouse.load(work / "parquet")
    lines += [f"- Parquet export: {exported.events:,} events in {exported.files:,} files, {size / 2**20:,.0f} MiB, "
              f"{export_s:.1f} s (with {len(exported.snapshots)} snapshots)",
              f"- chdb load from Parquet: {loaded.seconds:.1f} s", ""]
    engine._warehouse = warehouse
    period = page_bench.default_period(cur)
    rows = []
    saved = os.environ.get("DASHBOARD_ENGINE")
    try:
        for page, calls in page_bench.PAGES.items():
            timed = {}
            for name in ("duckdb", "clickhouse"):
                _on(name)
                timed[name], _ = _median(lambda: [fn(cur, page_bench._period(period, weeks), [], **kw)
                                                  for fn, kw, weeks in calls], repeat)
            rows.append((page, timed["duckdb"], timed["clickhouse"]))
            print(f"  {page}: duckdb {timed['duckdb']:.0f} ms, chdb {timed['clickhouse']:.0f} ms", flush=True)
        for label, rule in (("5-condition segment count", page_bench.SEGMENT_RULE),
                            ("issue example segment count", page_bench.ISSUE_RULE)):
            timed, members = {}, {}
            for name in ("duckdb", "clickhouse"):
                _on(name)
                timed[name], members[name] = _median(lambda: running.count(cur, rule), repeat)
            rows.append((f"{label} ({members['duckdb']:,} / {members['clickhouse']:,} members)",
                         timed["duckdb"], timed["clickhouse"]))
            print(f"  {label}: duckdb {timed['duckdb']:.0f} ms, chdb {timed['clickhouse']:.0f} ms", flush=True)
    finally:
        if saved is None:
            os.environ.pop("DASHBOARD_ENGINE", None)
        else:
            os.environ["DASHBOARD_ENGINE"] = saved
        engine.reset()
        con.close()
    lines += ["| page / question | DuckDB median (ms) | chdb median (ms) | chdb / DuckDB |", "|---|---:|---:|---:|"]
    for label, duck, house in rows:
        lines.append(f"| {label} | {duck:,.0f} | {house:,.0f} | {house / duck:.1f} × |")
    return "\n".join(lines)
