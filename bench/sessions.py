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

CPU per view leaves out the dashboard's background threads (the worker's duties — loader, sends,
step scenarios, check-up — and the sandbox), which name themselves (dashboard/worker.py
native_name) so that /proc/<pid>/task/<tid>/comm tells them apart; their CPU is reported on its own,
per second of the run.

- **static files from a proxy** (`--static-cached`): full loads again, with every `/static/…`
  request answered by the benchmark from its own copy (fetched from the app once), as nginx does
  with the deployment guide's cache (docs/deployment.md): what a full load costs the app itself.
- **before / after in one run** (`--against REF`): a second dashboard from `git archive REF` (its own
  code and .streamlit settings, its own copy of the database) served beside this one, every view
  taken on both in turn, so the ratio new ÷ old is measured under the same load.
"""
from __future__ import annotations

import asyncio
import os
import re
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


def _cpu_seconds(pid: int, task: int | None = None) -> float:
    """User + system CPU time of a process (or one of its threads), from /proc/<pid>[/task/<tid>]/stat
    (fields 14 and 15, in clock ticks)."""
    where = f"/proc/{pid}" + (f"/task/{task}" if task else "")
    fields = Path(f"{where}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


BACKGROUND = ("dash-worker", "dash-sandbox", "dash-send", "dash-preload")   # dashboard/worker.py native_name


def _background_cpu(pid: int) -> float:
    """CPU seconds of the process's background threads (named by dashboard/worker.py) alive now."""
    total = 0.0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            if (task / "comm").read_text().strip() in BACKGROUND:
                total += _cpu_seconds(pid, int(task.name))
        except (OSError, ValueError):   # the thread ended meanwhile
            continue
    return total


class Server:
    """A `streamlit run` of a script on a free loopback port, its log in a file."""

    def __init__(self, script: Path, env: dict, home: Path, cwd: Path | None = None):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = (home / f"streamlit-{self.port}.log").open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(script), "--server.headless", "true",
             "--server.port", str(self.port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
            cwd=cwd or config.ROOT, env={**os.environ, **env}, stdout=self.log, stderr=subprocess.STDOUT)
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

    def split(self) -> tuple[float, float]:
        """(CPU seconds of the whole process, of its background threads) now."""
        return _cpu_seconds(self.proc.pid), _background_cpu(self.proc.pid)

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


class StaticCache:
    """What nginx does with the deployment guide's `location ^~ /static/`: each static file fetched
    from the app once, then answered from the copy (hashed names: they never change)."""

    def __init__(self):
        self.files: dict[str, tuple[int, dict, bytes]] = {}
        self.to_app = 0

    async def handle(self, route) -> None:
        url = route.request.url
        hit = self.files.get(url)
        if hit is None:
            self.to_app += 1
            response = await route.fetch()
            hit = (response.status, dict(response.headers), await response.body())
            if response.status == 200:
                self.files[url] = hit
        await route.fulfill(status=hit[0], headers=hit[1], body=hit[2])


STATIC = re.compile(r"^https?://[^/]+/static/")


async def _full_load(browser, url: str, static: StaticCache | None = None) -> float:
    """A new session opening `url`: seconds until drawn (300 ms settle not counted)."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1200}, locale="ja-JP")
    try:
        if static is not None:
            await context.route(STATIC, static.handle)
        page = await context.new_page()
        started = time.perf_counter()
        await page.goto(url, wait_until="domcontentloaded", timeout=180_000)
        await _drawn(page, 180.0)
        return time.perf_counter() - started - 0.3
    finally:
        await context.close()


async def _clicks(browser, base: str, rounds: int, meter: "Meter | None" = None) -> dict[str, list[float]]:
    """One session clicking through the sidebar: seconds per page until drawn. `meter` starts once the
    session's first page is drawn (its full load is not a click)."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1200}, locale="ja-JP")
    page = await context.new_page()
    await page.goto(base)
    await _drawn(page)
    if meter is not None:
        meter.start()
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


class Meter:
    """CPU of a server between start() and stop(): the views' share and the background's."""

    def __init__(self, server: Server):
        self.server = server

    def start(self) -> "Meter":
        self.t0, (self.c0, self.b0) = time.perf_counter(), self.server.split()
        return self

    def stop(self, views: int) -> dict:
        c1, b1 = self.server.split()
        seconds = time.perf_counter() - self.t0
        background = max(0.0, b1 - self.b0)
        return {"cpu": (c1 - self.c0 - background) / views, "cpu_all": (c1 - self.c0) / views,
                "background_per_s": background / seconds if seconds else 0.0}


async def _run(apps: dict[str, Server], floor: Server, sessions: int, rounds: int, static_cached: bool) -> dict:
    from playwright.async_api import async_playwright

    out: dict = {name: {"full": {}, "static": {}} for name in apps}
    caches = {name: StaticCache() for name in apps}
    floor_cache = StaticCache()
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            for name, app in apps.items():   # warm: the first sessions build the caches
                await _full_load(browser, app.url)
                await _full_load(browser, app.url, caches[name])
                await _clicks(browser, app.url, 1)
            for _ in range(2):
                await _full_load(browser, floor.url)
                await _full_load(browser, floor.url, floor_cache)
            print("floor: the one-chart app", flush=True)
            m, views = Meter(floor).start(), []
            for _ in range(rounds * 3):
                views.append(await _full_load(browser, floor.url))
            out["floor"] = {"times": views, **m.stop(len(views))}
            if static_cached:
                m, views = Meter(floor).start(), []
                for _ in range(rounds * 3):
                    views.append(await _full_load(browser, floor.url, floor_cache))
                out["floor_static"] = {"times": views, **m.stop(len(views))}
            modes = [("full", None)] + ([("static", caches)] if static_cached else [])
            for mode, cache in modes:
                for path in PAGES:
                    print(f"{mode} loads: /{path}", flush=True)
                    for name, app in apps.items():   # each server in turn, page by page: the same load
                        m, views = Meter(app).start(), []
                        for _ in range(rounds):
                            views.append(await _full_load(browser, f"{app.url}/{path}",
                                                          cache[name] if cache else None))
                        out[name][mode][path] = {"times": views, **m.stop(rounds)}
            print("sidebar clicks", flush=True)
            for name in apps:
                out[name]["clicks"] = {"times": {p: [] for p in PAGES}, "cpu": 0.0, "cpu_all": 0.0,
                                       "background_per_s": 0.0, "views": 0}
            for _ in range(rounds):   # one round of every page on each server in turn
                for name, app in apps.items():
                    m = Meter(app)
                    clicks = await _clicks(browser, app.url, 1, m)
                    n = sum(len(v) for v in clicks.values())
                    got, acc = m.stop(n), out[name]["clicks"]
                    for p, v in clicks.items():
                        acc["times"][p] += v
                    for k in ("cpu", "cpu_all", "background_per_s"):
                        acc[k] += got[k] / rounds
            if sessions:
                print(f"{sessions} sessions together", flush=True)
            for name, app in apps.items():
                if not sessions:
                    break
                m, started = Meter(app).start(), time.perf_counter()
                views = await asyncio.gather(*[_full_load(browser, f"{app.url}/{path}")
                                               for _ in range(sessions) for path in PAGES], return_exceptions=True)
                drawn = [v for v in views if isinstance(v, float)]
                out[name]["together"] = {"times": drawn or [float("nan")], **m.stop(len(views)),
                                         "wall": time.perf_counter() - started, "views": len(views),
                                         "not_drawn": len(views) - len(drawn)}
        finally:
            await browser.close()
    out["static_to_app"] = {name: c.to_app for name, c in caches.items()}
    return out


def _baseline_tree(ref: str, home: Path) -> Path:
    """The code at `ref` (git archive: the repository is not touched), to serve beside this one."""
    target = home / "before"
    target.mkdir()
    archive = subprocess.run(["git", "archive", ref], cwd=config.ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def sessions_bench(sessions: int, db: str | None = None, friends: int = 1_000_000, rounds: int = 5,
                   static_cached: bool = False, against: str | None = None) -> str:
    from bench.measure import _bench_path, _build, data_dir

    path, own = _bench_path(friends, db)
    if not path.exists():
        if not own:
            raise SystemExit(f"no database at {path}")
        _build(path, friends)
    import shutil

    with tempfile.TemporaryDirectory(dir=data_dir()) as tmp:
        home = Path(tmp)
        trees = {"now": config.ROOT}
        if against:
            trees = {"before": _baseline_tree(against, home), "now": config.ROOT}
        floor_script = home / "one_chart.py"
        floor_script.write_text(ONE_CHART_APP)
        apps: dict[str, Server] = {}
        floor = None
        load_before = os.getloadavg()[0]
        try:
            for name, tree in trees.items():
                own_home = home / f"app-{name}"
                own_home.mkdir()
                copy = own_home / "sessions.duckdb"      # its own file: each dashboard opens it read-write
                shutil.copy(path, copy)
                os.chmod(copy, 0o600)
                env = {"DASHBOARD_DB": str(copy), "DASHBOARD_SINGLE_USER": "true",
                       "DASHBOARD_SPOOL": str(own_home / "spool")}
                apps[name] = Server(tree / "app.py", env, own_home, cwd=tree)
            floor = Server(floor_script, {}, home)
            result = asyncio.run(_run(apps, floor, sessions, rounds, static_cached))
        finally:
            for server in [*apps.values(), *([floor] if floor else [])]:
                server.stop()
    return render(result, path, sessions, rounds, load_before, os.getloadavg()[0], against)


def render(r: dict, path: Path, sessions: int, rounds: int, load_before: float, load_after: float,
           against: str | None = None) -> str:
    from bench.measure import _cpu_model

    def ms(v: float) -> str:
        return f"{v * 1000:,.0f}"

    floor = r["floor"]
    lines = [f"## Sessions ({path.name}, {os.cpu_count()} cores, {_cpu_model()}, load average "
             f"{load_before:.1f} → {load_after:.1f})", "",
             f"One-chart Streamlit app (the floor): full load p50 {ms(statistics.median(floor['times']))} ms, "
             f"server CPU {floor['cpu']:.3f} s per view ({len(floor['times'])} views)"
             + (f"; static files from the proxy: {r['floor_static']['cpu']:.3f} s" if "floor_static" in r else "")
             + ".", "",
             "CPU s: the server process's CPU per view without its background threads (worker, sandbox); "
             "the background's own CPU per second is below the table."]
    names = [n for n in ("before", "now") if n in r]
    static = "floor_static" in r
    for name in names:
        run = r[name]
        title = {"before": f"before ({against})", "now": "now (this tree)"}[name]
        head = ["page", "full load p50 / p95 (ms)", "CPU s per full load", "× floor"]
        if static:
            head += ["CPU s, static files from the proxy", "× floor (static from the proxy)"]
        head += ["sidebar click p50 / p95 (ms)"]
        lines += ["", f"### {title}", "", "| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
        clicks = run["clicks"]["times"]
        for p in PAGES:
            full = run["full"][p]
            row = [f"/{p}", f"{ms(_p(full['times'], .5))} / {ms(_p(full['times'], .95))}", f"{full['cpu']:.3f}",
                   f"{full['cpu'] / floor['cpu']:.2f}"]
            if static:
                st_ = run["static"][p]
                row += [f"{st_['cpu']:.3f}", f"{st_['cpu'] / r['floor_static']['cpu']:.2f}"]
            row += [f"{ms(_p(clicks[p], .5))} / {ms(_p(clicks[p], .95))}"]
            lines.append("| " + " | ".join(row) + " |")
        c = run["clicks"]
        lines += ["", f"Sidebar click: server CPU {c['cpu']:.3f} s per view ({rounds} rounds of every page; "
                      f"{c['cpu_all']:.3f} s with the background threads). Background threads: "
                      f"{c['background_per_s']:.3f} CPU s per second during the clicks."]
        if "together" in run:
            t_ = run["together"]
            lines.append(f"{sessions} sessions opening every page together ({t_['views']} views in "
                         f"{t_['wall']:.1f} s): p50 {ms(_p(t_['times'], .5))} ms, p95 {ms(_p(t_['times'], .95))} ms, "
                         f"server CPU {t_['cpu']:.3f} s per view; {t_['not_drawn']} not drawn within 180 s.")
    if len(names) == 2:
        b, n = r["before"], r["now"]
        # the whole process on both sides: a tree from before worker.native_name has no named background threads
        lines += ["", "### now ÷ before (the whole server process's CPU per view, background included; same run)", "",
                  "| page | full load | " + ("static files from the proxy | " if static else "") + "sidebar click (all pages) |",
                  "|---|---:|" + ("---:|" if static else "") + "---:|"]
        for p in PAGES:
            row = [f"/{p}", f"{n['full'][p]['cpu_all'] / b['full'][p]['cpu_all']:.2f}"]
            if static:
                row.append(f"{n['static'][p]['cpu_all'] / b['static'][p]['cpu_all']:.2f}")
            row.append(f"{n['clicks']['cpu_all'] / b['clicks']['cpu_all']:.2f}" if p == PAGES[0] else "")
            lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)
