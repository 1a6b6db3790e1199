"""python -m dashboard: demo, report; exit codes and one-line reasons."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from dashboard.analytics import metrics
from dashboard.core import storage

ROOT = Path(__file__).resolve().parent.parent


def run(*args, env=None):
    return subprocess.run([sys.executable, "-m", "dashboard", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env=env)


def test_help_for_every_command():
    for command in ("demo", "report", "bench"):
        result = run(command, "--help")
        assert result.returncode == 0 and "usage" in result.stdout


def test_report_json_equals_the_overview_function(demo_copy):
    result = run("report", "--db", str(demo_copy), "--start", "2026-10-27", "--end", "2026-11-23", "--format", "json")
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    con = storage.connect(demo_copy, read_only=True)
    import datetime as dt
    expected = metrics.overview_kpis(con, metrics.Period.from_dates(dt.date(2026, 10, 27), dt.date(2026, 11, 23)))
    con.close()
    assert printed["kpis"] == json.loads(json.dumps(expected["kpis"], default=str))
    assert printed["previous"] == {"first": "2026-09-29", "last": "2026-10-26"}  # the 28 days before


def test_report_markdown_in_both_languages(demo_copy):
    ja = run("report", "--db", str(demo_copy), "--start", "2026-11-01", "--end", "2026-11-23")
    assert ja.returncode == 0, ja.stderr
    assert "アクティブ友だち（30日）" in ja.stdout and "| KPI |" in ja.stdout
    en = run("report", "--db", str(demo_copy), "--start", "2026-11-01", "--end", "2026-11-23", "--lang", "en",
             "--route", "thanks_page")
    assert en.returncode == 0 and "Active friends (30 days)" in en.stdout and "thanks_page" in en.stdout


def test_report_refuses_bad_input_in_one_line(demo_copy, tmp_path):
    bad_date = run("report", "--db", str(demo_copy), "--start", "2026-13-01", "--end", "2026-11-23")
    assert bad_date.returncode != 0 and "not a date" in bad_date.stderr
    backwards = run("report", "--db", str(demo_copy), "--start", "2026-11-23", "--end", "2026-11-01")
    assert backwards.returncode == 1 and backwards.stderr.strip().count("\n") == 0
    assert "before it starts" in backwards.stderr
    missing = run("report", "--db", str(tmp_path / "none.duckdb"), "--start", "2026-11-01", "--end", "2026-11-02")
    assert missing.returncode == 1 and "does not exist" in missing.stderr


def test_demo_command_builds_and_refuses_to_overwrite(tmp_path):
    db = tmp_path / "cli.duckdb"
    built = run("demo", "--db", str(db), "--friends", "300", "--days", "30", "--seed", "3", "--end", "2026-11-24")
    assert built.returncode == 0, built.stderr
    assert "friends 300" in built.stdout
    again = run("demo", "--db", str(db), "--friends", "300")
    assert again.returncode == 2 and "--replace" in again.stderr
    bad = run("demo", "--db", str(tmp_path / "x.duckdb"), "--friends", "0")
    assert bad.returncode != 0


def test_database_held_by_another_process_is_explained(demo_copy):
    holder = subprocess.Popen([sys.executable, "-c",
                               "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); time.sleep(30)",
                               str(demo_copy)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        result = run("report", "--db", str(demo_copy), "--start", "2026-11-01", "--end", "2026-11-02")
        assert result.returncode == 1 and "held by another process" in result.stderr
    finally:
        holder.kill()
        holder.wait()


def test_loader_bench_loads_every_spooled_event_once(demo_copy):
    result = run("bench", "--ingest", "3000", "--db", str(demo_copy))
    assert result.returncode == 0, result.stderr
    runs = [line for line in result.stdout.splitlines() if line.startswith("loader run")]
    assert len(runs) == 2
    for line in runs:  # new rows = events written - redeliveries, in both runs
        events, redeliveries, new = (int(x.replace(",", "")) for x in re.search(
            r"([\d,]+) events \(.*?([\d,]+) redeliveries\).*?([\d,]+) new rows", line).groups())
        assert events >= 3000 and new == events - redeliveries


def test_bench_on_a_fresh_clone_writes_its_report_though_data_is_missing(demo_copy, tmp_path):
    # issue 11 point 7: data/ is not in git, and the bench failed at the very end writing into it
    import shutil

    clone = tmp_path / "clone"
    for part in ("dashboard", "pages", "queries", "bench"):
        shutil.copytree(ROOT / part, clone / part, ignore=shutil.ignore_patterns("__pycache__"))
    result = subprocess.run([sys.executable, "-m", "dashboard", "bench", "--friends", "3000", "--db", str(demo_copy),
                             "--repeat", "1", "--no-pandas"], cwd=clone, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    report = (clone / "data" / "bench-3000.md").read_text(encoding="utf-8")
    assert "| overview |" in report
