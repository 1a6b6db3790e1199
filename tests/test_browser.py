"""The running app in headless Chromium (Debian's chromium, driven by Playwright).

Skipped only when chromium is missing outside CI; with CI=true a missing browser fails the run.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _require_browser():
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("CI=true but Debian's chromium is not installed (make browser-deps)")
    pytest.skip("chromium not installed")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(demo_db, tmp_path_factory):
    _require_browser()
    port = _free_port()
    env = {**os.environ, "DASHBOARD_DB": str(demo_db)}
    # The server logs every request: to a file, never to a pipe nobody reads (a full pipe blocks it).
    log = (tmp_path_factory.mktemp("server") / "streamlit.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("streamlit did not start: " + Path(log.name).read_text()[-2000:])
    yield url
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def browser():
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def test_overview_renders_kpis_in_japanese(server, browser, artifacts):
    page = browser.new_page(viewport={"width": 1400, "height": 1800}, locale="ja-JP")
    page.goto(server)
    page.wait_for_selector(".js-plotly-plot", timeout=120_000)
    metrics = page.locator('[data-testid="stMetric"]')
    metrics.first.wait_for(timeout=60_000)
    assert metrics.count() == 9
    text = page.locator('[data-testid="stMain"]').inner_text()
    for label in ("友だち数（累計）", "ターゲットリーチ（有効友だち）", "ブロック率", "アクティブ友だち（30日）",
                  "今月の送信数", "定義"):
        assert label in text
    assert "サンドボックス" in page.locator('[data-testid="stSidebar"]').inner_text()
    page.wait_for_timeout(1000)  # let Plotly finish drawing before the picture
    page.screenshot(path=str(artifacts / "overview.png"), full_page=True)
    page.close()


def test_acquisition_page_and_english_switch(server, browser, artifacts):
    page = browser.new_page(viewport={"width": 1400, "height": 2400})
    page.goto(server + "/acquisition")
    page.wait_for_selector(".js-plotly-plot", timeout=120_000)
    assert page.locator(".js-plotly-plot").count() >= 3
    page.get_by_text("English").click()
    page.get_by_text("Acquisition — which routes").wait_for(timeout=60_000)
    page.wait_for_selector(".js-plotly-plot", timeout=60_000)
    page.wait_for_timeout(1000)
    page.screenshot(path=str(artifacts / "acquisition_en.png"), full_page=True)
    page.close()
