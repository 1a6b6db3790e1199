"""`python -m dashboard bench`: how long each page's questions take at a given account size.

The parts by what they measure: bench/pages.py (the pages' questions and the Segments page),
bench/pandas_side.py (the same questions over CSV with pandas), bench/sends.py (the send engine),
bench/webhook.py (the receiver), bench/ingest.py (the loader). This file builds the account and
writes the report.

Per page it times exactly the dashboard.analytics.metrics calls the page makes (pages/*.py), with the
sidebar's default filters (the last 28 days of data, all routes) and the page's default widgets,
and once more with one route chosen. One warm-up run, then `repeat` runs; a page's time is the
median of the runs' totals.

For comparison it answers the same questions the way an operator would without the dashboard:
CSV exports read with pandas.read_csv, then group-bys over the raw frames (no DuckDB, no rollup
tables), and checks that headline numbers agree. The result is a Markdown table for the README,
also written to data/bench-<friends>.md.

Targets (DESIGN §9): the demo build of 1,000,000 friends / 30M+ events in under 3 minutes on two
cores, and every page in at most 500 ms at that size.
"""
from __future__ import annotations

import datetime as dt
import os
import platform
import re
import resource
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd

from dashboard.core import config, queries, storage
from dashboard.analytics import demo, metrics
from bench.pages import (FILTER_ROUTE, PAGES, _check_pages_unchanged, _time_page, _time_segments,
                         default_period)
from bench.pandas_side import _pandas_side

# A fixed end date: the same seed and size build the same account whatever the day.
BUILD = {"seed": 42, "days": 180, "end": dt.date(2026, 11, 24)}
TARGET_MS = 500


def main(friends: int, db: str | None = None, repeat: int = 7, pandas: bool = True) -> int:
    path, ours = _bench_path(friends, db)
    problem = _outdated(path) if path.exists() else None
    if problem and not ours:
        raise storage.StorageError(f"{path} was built by older code ({problem}); rebuild it")
    if problem:  # our own derived file: build it again
        print(f"{path.name} was built by older code ({problem}); rebuilding it", flush=True)
        path.unlink()
    build_s = None if path.exists() else _build(path, friends)
    con = storage.connect(path, read_only=True)
    try:
        cur = con.cursor()
        info = _account(cur, path, repeat)
        period = default_period(cur)
        route = FILTER_ROUTE if FILTER_ROUTE in set(metrics.routes(cur)["route"]) else None
        print(f"{info['friends']:,} friends, {info['events']:,} events; period {period.first} – "
              f"{period.last}; {repeat} runs after a warm-up", flush=True)
        _check_pages_unchanged()
        sidebar_ms = _time_page(cur, ((metrics.data_range, {}, None), (metrics.routes, {}, None)), None, None, repeat)[0]
        duck, answers = {}, {}
        for page, calls in PAGES.items():
            all_ms, answers[page], per_call = _time_page(cur, calls, period, [], repeat)
            route_ms, _, per_call_route = (_time_page(cur, calls, period, [route], repeat) if route
                                           else (None, None, {}))
            duck[page] = (all_ms, route_ms, per_call, per_call_route)
            print(f"  {page:<12} {all_ms:8.1f} ms   {route or '-'}: "
                  f"{'-' if route_ms is None else f'{route_ms:.1f}'} ms", flush=True)
        segment_lines = _time_segments(cur, repeat)
        info["rss_duckdb_gib"] = _peak_rss_gib()
        pandas_result = _pandas_side(cur, period, answers, path.parent) if pandas else None
    finally:
        con.close()
    info["rss_gib"], info["load_end"] = _peak_rss_gib(), os.getloadavg()[0]
    table = render(info, period, route, build_s, sidebar_ms, duck, pandas_result) + "\n\n" + segment_lines
    print()
    print(table)
    out = data_dir() / f"bench-{friends}.md"
    out.write_text(table + "\n", encoding="utf-8")
    print(f"\n(written to {out})")
    if pandas_result and any(not c[3] for checks in pandas_result["checks"].values() for c in checks):
        print("error: pandas and DuckDB disagree on a headline number (see DIFFERS above)", file=sys.stderr)
        return 1
    return 0


# ---- the database -----------------------------------------------------------------------------

def data_dir() -> Path:
    """data/ of the checkout, where the benchmark writes its report and scratch files; a fresh
    clone has none (it is not in git), so it is made here."""
    path = config.ROOT / "data"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _bench_path(friends: int, db: str | None) -> tuple[Path, bool]:
    """The database to time, and whether it is the benchmark's own (rebuilt when outdated)."""
    # __main__ fills a missing --db with DASHBOARD_DB for every command, bench included: that value
    # is only the user's choice when they typed --db (otherwise we would time the live account).
    typed = any(a == "--db" or a.startswith("--db=") for a in sys.argv[1:])
    if db is None or (not typed and Path(db).resolve() == config.db_path().resolve()):
        return config.ROOT / "data" / f"bench-{friends}.duckdb", True
    return Path(db), False


def _build(path: Path, friends: int) -> float:
    """Build the demo account; the build time is itself a benchmark number."""
    # Build under another name and rename at the end: an interrupted build never leaves a
    # half-filled file that the next run would take for a finished one.
    partial = path.with_name(path.name + ".partial")
    for stale in (partial, Path(str(partial) + ".wal")):
        stale.unlink(missing_ok=True)
    print(f"building {path.name}: {friends:,} friends, {BUILD['days']} days to {BUILD['end']} "
          f"(load average {os.getloadavg()[0]:.1f})", flush=True)
    started = time.perf_counter()
    try:
        demo.build(partial, friends=friends, **BUILD, progress=lambda line: print(line, flush=True))
    except BaseException:
        partial.unlink(missing_ok=True)
        Path(str(partial) + ".wal").unlink(missing_ok=True)
        raise
    seconds = time.perf_counter() - started
    partial.rename(path)
    print(f"build time: {seconds:.1f} s", flush=True)
    return seconds


def _outdated(path: Path) -> str | None:
    """Why a database built by older code cannot answer today's queries, or None."""
    con = storage.connect(path, read_only=True)
    try:
        cur = con.cursor()
        version = cur.execute("select max(version) from schema_version").fetchone()[0]
        if version < storage.current_version():
            return f"schema version {version}, this program writes {storage.current_version()}"
        sample = metrics.Period(BUILD["end"] - dt.timedelta(days=28), BUILD["end"])
        values = {**sample.params([]), "as_of": sample.end, "window_days": 14, "active_days": 30}
        for name in metrics.QUERY_NAMES:  # describe binds a query to the tables without running it
            try:
                cur.execute("describe " + queries.sql(name).strip().rstrip(";"),
                            {k: values[k] for k in queries.parameters(name)})
            except duckdb.Error as exc:
                return f"query {name} does not fit it: {str(exc).splitlines()[0]}"
        return None
    finally:
        con.close()


def _account(cur, path: Path, repeat: int) -> dict:
    count = lambda table: cur.execute(f"select count(*) from {table}").fetchone()[0]  # fixed names
    return {"friends": count("friends"), "events": count("events"), "db": path.name,
            "db_gib": path.stat().st_size / 2**30, "repeat": repeat, "cores": os.cpu_count(),
            "cpu": _cpu_model(), "platform": f"{platform.system()} {platform.release()} {platform.machine()}",
            "duckdb": duckdb.__version__, "pandas": pd.__version__, "python": platform.python_version(),
            "load_start": os.getloadavg()[0]}


def _cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or "?"
    match = re.search(r"^model name\s*:\s*(.+)$", text, re.M)
    return match.group(1).strip() if match else "?"


def _peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux


# ---- the report -------------------------------------------------------------------------------

def render(info, period, route, build_s, sidebar_ms, duck, plain) -> str:
    route_col = f"route `{route}`" if route else "one route"
    lines = [f"### Benchmark: {info['friends']:,} friends, {info['events']:,} events", "",
             f"Machine: {info['cores']} cores ({info['cpu']}), {info['platform']}; Python "
             f"{info['python']}, DuckDB {info['duckdb']}, pandas {info['pandas']}. Database "
             f"`{info['db']}` ({info['db_gib']:.2f} GiB). Load average (1 min) "
             f"{info['load_start']:.1f} at the start, {info['load_end']:.1f} at the end.",
             f"Period: {period.first} – {period.last} (the default: the last 28 days of data; questions "
             "with a history selector use its default). DuckDB: the sum of the page's questions, median "
             f"of {info['repeat']} runs after one warm-up. pandas: the same questions over CSV exports "
             "loaded into memory, one run, load time excluded.", ""]
    head = f"| Page | DuckDB, all routes (ms) | DuckDB, {route_col} (ms) |"
    rule = "|---|---:|---:|"
    if plain:
        head += " pandas on CSV (ms) | pandas ÷ DuckDB | same numbers |"
        rule += "---:|---:|---|"
    lines += [head, rule]
    for page, (all_ms, route_ms, _, _) in duck.items():
        row = f"| {page} | {all_ms:,.0f} | {'-' if route_ms is None else f'{route_ms:,.0f}'} |"
        if plain:
            checks = plain["checks"][page]
            ok = sum(c[3] for c in checks)
            row += (f" {plain['ms'][page]:,.0f} | {plain['ms'][page] / all_ms:,.0f}× |"
                    f" {'yes' if ok == len(checks) else 'NO'} ({ok}/{len(checks)}) |")
        lines.append(row)
    worst = max(max(a, r or 0) for a, r, _, _ in duck.values())
    lines += ["", f"- Slowest page: {worst:,.0f} ms (target ≤ {TARGET_MS} ms at 1,000,000 friends: "
                  f"{'met' if worst <= TARGET_MS else 'NOT met'} at this size).",
              f"- Sidebar, on every page (data range + routes, cached 60 s): {sidebar_ms:,.0f} ms."]
    if build_s is not None:
        lines.append(f"- Demo build (`demo.build`, seed {BUILD['seed']}, {BUILD['days']} days): "
                     f"{build_s:,.1f} s (target < 180 s for 1,000,000 friends).")
    if plain:
        lines.append(f"- pandas: CSV export {plain['csv_gib']:.2f} GiB (DuckDB COPY, "
                     f"{plain['export_s']:.1f} s); `pandas.read_csv` of it {plain['load_s']:.1f} s before "
                     f"any question can be answered; the frames hold {plain['frames_gib']:.1f} GiB.")
    lines.append(f"- Peak memory of the benchmark process: {info['rss_duckdb_gib']:.1f} GiB"
                 + (f" before the pandas part, {info['rss_gib']:.1f} GiB in all" if plain else "")
                 + (" (the build ran in the same process)." if build_s is not None else "."))
    lines += ["", f"| Page | Question | History | All routes (ms) | {route_col} (ms) |",
              "|---|---|---|---:|---:|"]
    for page, (_, _, per_call, per_call_route) in duck.items():
        for fn, _, weeks in PAGES[page]:
            name = fn.__name__
            ms_route = per_call_route.get(name)
            lines.append(f"| {page} | {name} | {f'{weeks} weeks' if weeks else 'period'} | "
                         f"{per_call[name]:,.0f} | {'-' if ms_route is None else f'{ms_route:,.0f}'} |")
    return "\n".join(lines)
