"""Two dashboards on one machine do not share a sandbox (issue 19, point 11), and the sandbox a
dashboard starts takes the account's quota and this month's use (point 6): all over real HTTP."""
from __future__ import annotations

import datetime as dt
import json
import urllib.request

import pytest

from dashboard import worker
from dashboard.core import storage
from dashboard.line import api, sandbox_owner
from dashboard.line.sandbox_process import Sandbox


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


@pytest.fixture
def second_dashboard(tmp_path, monkeypatch):
    """A dashboard in its own folder (its own sandbox state) in sandbox mode, with no sandbox chosen yet."""
    home = tmp_path / "second"
    home.mkdir()
    monkeypatch.setenv("DASHBOARD_DB", str(home / "dashboard.duckdb"))
    monkeypatch.delenv("LINE_API_BASE_URL", raising=False)
    monkeypatch.delenv("LINE_CHANNEL_ACCESS_TOKEN", raising=False)
    monkeypatch.setattr(sandbox_owner, "_chosen", None)
    return home


def test_a_dashboard_does_not_use_another_dashboards_sandbox(tmp_path, monkeypatch, second_dashboard):
    first = Sandbox(tmp_path / "first" / "sandbox")          # the first dashboard's sandbox, on its port
    try:
        monkeypatch.setenv("DASHBOARD_SANDBOX_PORT", str(first.port))
        first_instance = first.get("/sandbox/health")["instance"]
        assert first_instance == sandbox_owner.instance_of(tmp_path / "first" / "sandbox")
        assert sandbox_owner.whose(first.url, second_dashboard / "sandbox") == "other"

        url = worker.start_sandbox()
        assert url != first.url and api.sandbox_url() == url    # its own, on another port
        mine = _get(url + "/sandbox/health")["instance"]
        assert mine != first_instance
        assert mine == sandbox_owner.instance_of(second_dashboard / "sandbox")
        assert sandbox_owner.whose(url, second_dashboard / "sandbox") == "ours"
    finally:
        first.stop()


def test_a_dashboard_reuses_a_sandbox_serving_its_own_state_folder(monkeypatch, second_dashboard):
    own = Sandbox(second_dashboard / "sandbox")               # e.g. `python -m dashboard sandbox --state …`
    try:
        monkeypatch.setenv("DASHBOARD_SANDBOX_PORT", str(own.port))
        assert worker.start_sandbox() == own.url
        assert api.sandbox_url() == own.url
    finally:
        own.stop()


def test_the_started_sandbox_takes_the_accounts_quota_and_this_months_use(monkeypatch, second_dashboard):
    con = storage.connect(second_dashboard / "dashboard.duckdb")
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    con.execute("insert into line_quota values ($at, 'limited', 720000, 612345)", {"at": now})
    con.close()
    from dashboard.line.sandbox_process import free_port

    monkeypatch.setenv("DASHBOARD_SANDBOX_PORT", str(free_port()))
    url = worker.start_sandbox()
    summary = _get(url + "/sandbox/summary")
    assert (summary["quota"], summary["usage"]) == (720000, 612345)   # what the Overview's quota KPI reads
