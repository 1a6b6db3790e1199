"""Shared fixtures: a small demo account in a real DuckDB file, built once per test session."""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from dashboard.analytics import demo

ROOT = Path(__file__).resolve().parent.parent
DEMO_END = dt.date(2026, 11, 24)
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(autouse=True, scope="session")
def _hermetic_settings(tmp_path_factory):
    # Tests never read a developer's real secrets.toml.
    os.environ["DASHBOARD_SECRETS_FILE"] = str(tmp_path_factory.mktemp("secrets") / "none.toml")
    # AppTest reports a page's exception as an exception (the friendly message has its own test)
    from dashboard.web import errors

    errors.RERAISE = True
    # Page tests run as the single local user, as `make run` does; the fail-closed tests switch it off.
    os.environ["DASHBOARD_SINGLE_USER"] = "true"
    yield


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> Path:
    """3,000 friends over 120 days ending 2026-11-24: every page has something to show."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    demo.build(path, friends=3000, seed=7, days=120, end=DEMO_END, tz="Asia/Tokyo", progress=lambda *_: None)
    return path


@pytest.fixture
def demo_copy(demo_db, tmp_path) -> Path:
    """A private copy of the demo database. A test whose process (AppTest's cached connection) or
    server holds a file read-write locks every other process out of it: never share one."""
    import shutil

    path = tmp_path / "demo_copy.duckdb"
    shutil.copy(demo_db, path)
    return path


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def sandbox(tmp_path):
    """A real sandbox process on a free loopback port (dashboard/line/sandbox_process.py)."""
    from dashboard.line.sandbox_process import Sandbox

    box = Sandbox(tmp_path / "sandbox")
    yield box
    box.stop()
