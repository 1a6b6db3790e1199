"""`python -m dashboard bench --sessions N [--db PATH]`: what operators feel and what the server pays.

Starts the dashboard (`streamlit run app.py`, one user, loopback) on the benchmark's account and a
one-chart Streamlit app beside it for scale, then drives headless Chromium (Debian's chromium through
Playwright) through every page:

- **full load**: a new browser context per view (a new Streamlit session, as a person opening a link);
- **sidebar click**: one session that clicks from page to page in the sidebar (a rerun, no new session);
- **N at once**: N sessions open every page together (full loads), to see how the two cores share out.

Per page it reports p50 / p95 of the time until the page is drawn (its title is there, every chart is
drawn, and the app has stopped running for 300 ms) and the server's CPU seconds per view, read from
/proc for the server process (user + system time) before and after. The one-chart app gives
Streamlit's own floor on the same machine: the issue's target is a full load at most 1.2 x that.
"""
from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dashboard.core import config

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
# The page paths the sidebar links to (web/navigation.py LAYOUT): the overview is the root.
PAGES = ("", "acquisition", "funnel", "cohorts", "engagement", "deliveries", "segments", "compose", "data", "audit")
ONE_CHART_APP = '''import numpy as np, pandas as pd, plotly.express as px, streamlit as st
st.title("one chart")
frame = pd.DataFrame({"day": pd.date_range("2026-01-01", periods=180), "adds": np.arange(180) % 17})
st.plotly_chart(px.line(frame, x="day", y="adds"))
'''
# Drawn: a title, every Plotly chart has its SVG, no element is stale, and the app is not running.
_DRAWN = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  if (!main || !main.querySelector('h1')) return false;
  if (document.querySelector('[data-testid="stStatusWidget"] button, [data-stale="true"], [data-testid="stSkeleton"]')) return false;
  return [...main.querySelectorAll('.js-plotly-plot')].every(p => p.querySelector('svg.main-svg'));
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc/<pid>/stat (fields 14 and 15, in clock ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Server:
    """A `streamlit run` of a script on a free loopback port, its log in a file."""

    def __init__(self, script: Path, env: dict, home: Path):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = (home / f"streamlit-{self.port}.log").open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(script), "--server.headless", "true",
             "--server.port", str(self.port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
            cwd=config.ROOT, env={**os.environ, **env}, stdout=self.log, stderr=subprocess.STDOUT)
        import urllib.request

        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=2):
                    return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"streamlit did not start: {script}")

    def cpu(self) -> float:
        return _cpu_seconds(self.proc.pid)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


async def _drawn(page, timeout_s: float = 120.0) -> None:
    """Wait until the page is drawn and has stayed so for 300 ms (a rerun may still be on its way)."""
    deadline = time.monotonic() + timeout_s
    since = None
    while time.monotonic() < deadline:
        if await page.evaluate(_DRAWN):
            since = since or time.monotonic()
            if time.monotonic() - since >= 0.3:
                return
        else:
            since = None
        await asyncio.sleep(0.05)
    state = await page.evaluate("""() => ({stale: document.querySelectorAll('[data-stale="true"]').length,
        running: !!document.querySelector('[data-testid="stStatusWidget"] button'),
        h1: !!document.querySelector('[data-testid="stMain"] h1'),
        charts: document.querySelectorAll('.js-plotly-plot').length,
        drawn: document.querySelectorAll('.js-plotly-plot svg.main-svg').length,
        text: (document.querySelector('[data-testid="stMain"]') || document.body).innerText.slice(0, 300)})""")
    raise TimeoutError(f"{page.url} was not drawn within {timeout_s:.0f} s: {state}")


async def _full_load(browser, url: str) -> float:
    """A new session opening `url`: seconds until drawn (300 ms settle not counted)."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1200}, locale="ja-JP")
    try:
        page = await context.new_page()
        started = time.perf_counter()
        await page.goto(url, wait_until="domcontentloaded", timeout=180_000)
        await _drawn(page, 180.0)
        return time.perf_counter() - started - 0.3
    finally:
        await context.close()


async def _clicks(browser, base: str, rounds: int) -> dict[str, list[float]]:
    """One session clicking through the sidebar: seconds per page until drawn."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1200}, locale="ja-JP")
    page = await context.new_page()
    await page.goto(base)
    await _drawn(page)
    times: dict[str, list[float]] = {p: [] for p in PAGES}
    try:
        for _ in range(rounds):
            for path in (*PAGES[1:], PAGES[0]):
                link = page.locator(f'[data-testid="stSidebarNav"] a[href$="/{path}"]').first
                started = time.perf_counter()
                await link.click()
                await page.wait_for_url(f"**/{path}")
                await asyncio.sleep(0.05)   # let the rerun start, so that the old page does not count as drawn
                await _drawn(page)
                times[path].append(time.perf_counter() - started - 0.3)
    finally:
        await context.close()
    return times


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _run(app: Server, floor: Server, sessions: int, rounds: int) -> dict:
    from playwright.async_api import async_playwright

    out: dict = {}
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            await _full_load(browser, app.url)            # warm: the first session builds the caches
            for _ in range(2):
                await _full_load(browser, floor.url)
            print("floor: the one-chart app", flush=True)
            # Streamlit's floor: the one-chart app, full loads
            cpu0, views = floor.cpu(), []
            for _ in range(rounds * 3):
                views.append(await _full_load(browser, floor.url))
            out["floor"] = {"times": views, "cpu": (floor.cpu() - cpu0) / len(views)}
            # full loads, one at a time
            out["full"] = {}
            for path in PAGES:
                print(f"full loads: /{path}", flush=True)
                cpu0, views = app.cpu(), []
                for _ in range(rounds):
                    views.append(await _full_load(browser, f"{app.url}/{path}"))
                out["full"][path] = {"times": views, "cpu": (app.cpu() - cpu0) / rounds}
            print("sidebar clicks", flush=True)
            # sidebar clicks in one session
            cpu0 = app.cpu()
            clicks = await _clicks(browser, app.url, rounds)
            total = sum(len(v) for v in clicks.values())
            out["clicks"] = {"times": clicks, "cpu": (app.cpu() - cpu0) / total}
            print(f"{sessions} sessions together", flush=True)
            # N sessions opening every page together
            cpu0, started = app.cpu(), time.perf_counter()
            views = await asyncio.gather(*[_full_load(browser, f"{app.url}/{path}")
                                           for _ in range(sessions) for path in PAGES], return_exceptions=True)
            drawn = [v for v in views if isinstance(v, float)]
            out["together"] = {"times": drawn or [float("nan")], "cpu": (app.cpu() - cpu0) / len(views),
                               "wall": time.perf_counter() - started, "views": len(views),
                               "not_drawn": len(views) - len(drawn)}
        finally:
            await browser.close()
    return out


def sessions_bench(sessions: int, db: str | None = None, friends: int = 1_000_000, rounds: int = 5) -> str:
    from bench.measure import _bench_path, _build, data_dir

    path, own = _bench_path(friends, db)
    if not path.exists():
        if not own:
            raise SystemExit(f"no database at {path}")
        _build(path, friends)
    with tempfile.TemporaryDirectory(dir=data_dir()) as tmp:
        home = Path(tmp)
        copy = home / "sessions.duckdb"      # its own file: the dashboard opens it read-write
        import shutil

        shutil.copy(path, copy)
        floor_script = home / "one_chart.py"
        floor_script.write_text(ONE_CHART_APP)
        env = {"DASHBOARD_DB": str(copy), "DASHBOARD_SINGLE_USER": "true", "DASHBOARD_SPOOL": str(home / "spool")}
        app = Server(config.ROOT / "app.py", env, home)
        floor = Server(floor_script, {}, home)
        load_before = os.getloadavg()[0]
        try:
            result = asyncio.run(_run(app, floor, sessions, rounds))
        finally:
            app.stop()
            floor.stop()
    return render(result, path, sessions, rounds, load_before, os.getloadavg()[0])


def render(r: dict, path: Path, sessions: int, rounds: int, load_before: float, load_after: float) -> str:
    from bench.measure import _cpu_model

    def ms(v: float) -> str:
        return f"{v * 1000:,.0f}"

    floor = r["floor"]
    lines = [f"## Sessions ({path.name}, {os.cpu_count()} cores, {_cpu_model()}, load average "
             f"{load_before:.1f} → {load_after:.1f})", "",
             f"One-chart Streamlit app (the floor): full load p50 {ms(statistics.median(floor['times']))} ms, "
             f"server CPU {floor['cpu']:.3f} s per view ({len(floor['times'])} views).", "",
             f"| page | full load p50 / p95 (ms) | CPU s per full load | × floor | sidebar click p50 / p95 (ms) |",
             "|---|---:|---:|---:|---:|"]
    clicks = r["clicks"]["times"]
    for path_name in PAGES:
        full = r["full"][path_name]
        lines.append(f"| /{path_name} | {ms(_p(full['times'], .5))} / {ms(_p(full['times'], .95))} | "
                     f"{full['cpu']:.3f} | {full['cpu'] / floor['cpu']:.2f} | "
                     f"{ms(_p(clicks[path_name], .5))} / {ms(_p(clicks[path_name], .95))} |")
    together = r["together"]
    lines += ["", f"Sidebar click: server CPU {r['clicks']['cpu']:.3f} s per view ({rounds} rounds of every page).",
              f"{sessions} sessions opening every page together ({together['views']} views in "
              f"{together['wall']:.1f} s): p50 {ms(_p(together['times'], .5))} ms, p95 {ms(_p(together['times'], .95))} ms, "
              f"server CPU {together['cpu']:.3f} s per view; {together['not_drawn']} not drawn within 180 s."]
    return "\n".join(lines)
