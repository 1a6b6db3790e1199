"""queries/: one query per file with a header; every name the code uses exists; params bound."""
from __future__ import annotations

import re

import pytest

from dashboard.messaging import approvals, drafts  # noqa: F401 (drafts: its queries count as used)
from dashboard.audience import running, saved
from dashboard.core import audit, queries, storage

from dashboard.intake import data_status, imports, loader, sync
from dashboard.analytics import line_figures, metrics, rollups


def test_every_query_file_has_a_header_with_grain_and_parameters():
    for name, text in queries.load_all().items():
        if name.startswith("demo/"):
            continue
        header = "\n".join(line for line in text.splitlines() if line.startswith("--"))
        assert "Grain" in header, f"{name}: header must say what one row means"
        assert "Parameters" in header, f"{name}: header must list its parameters"


def test_every_query_file_is_used():
    # every module declares its queries at import (queries.require): import them all, wherever they live
    import importlib
    import pkgutil

    import dashboard

    import bench

    for info in [*pkgutil.walk_packages(dashboard.__path__, "dashboard."), *pkgutil.walk_packages(bench.__path__, "bench.")]:
        if info.name not in ("dashboard.__main__", "dashboard.web.navigation"):  # scripts, not modules
            importlib.import_module(info.name)
    used = set(queries.REQUIRED)
    unused = {n for n in queries.load_all() if not n.startswith("demo/")} - used
    assert not unused, f"query files nobody runs: {unused}"


def test_missing_name_fails_loudly():
    with pytest.raises(queries.QueryError, match="missing query"):
        queries.require("overview/no_such_question")


def test_missing_parameter_fails_and_extra_ones_are_dropped(tmp_path):
    con = storage.connect(tmp_path / "q.duckdb")
    with pytest.raises(queries.QueryError, match="needs parameter"):
        queries.run(con, "overview/messages_sent", start="2026-01-01")
    frame = queries.run(con, "meta/routes", unrelated=1)
    assert frame.empty


def test_no_query_formats_values_into_sql():
    """Values are bound: no Python format placeholders in SQL files."""
    for name, text in queries.load_all().items():
        assert not re.search(r"\{[a-z_]+\}|%s|%\([a-z_]+\)s", text), name
