"""`python -m dashboard bench --live [--posts N] [--db PATH]`: from a webhook POST to the number on
the page that counts it (issue 18: p95 ≤ 3 s at 1,000,000 friends, with the loader running).

Serves a copy of the database with the dashboard (`streamlit run app.py`, its worker's loader every
DASHBOARD_INGEST_INTERVAL_S) and the webhook receiver (`python -m dashboard webhook`) as in the
deployment guide, both on loopback with one channel secret and one spool folder. A headless Chromium
session shows the Overview; for each of N follow events of a new user (signed like LINE signs them,
posted at a random moment) it reruns the page (a click on its own sidebar link, as often as the
page takes to draw) and reads the "new friends" KPI card until it shows one more. The time from the
POST to the page drawn with the new number is the latency: receiver + spool + the loader's wait
and round (with its incremental rollups) + the page's questions asked again.
"""
from __future__ import annotations

import asyncio
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.sessions import ARGS, CHROMIUM, Server, _drawn, _free_port, _p
from dashboard.core import config
from dashboard.core.i18n import t

SECRET = "bench-live-secret"


def _receiver(env: dict, home: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    log = (home / "receiver.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "dashboard", "webhook", "--port", str(port)], cwd=config.ROOT,
                            env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1):
                return proc, url
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the webhook receiver did not start")


def _post_follow(url: str, n: int) -> None:
    from dashboard.intake import receiver

    now_ms = int(time.time() * 1000)
    body = json.dumps({"destination": "Ubench", "events": [{
        "type": "follow", "mode": "active", "timestamp": now_ms, "replyToken": "r",
        "webhookEventId": f"01LIVE{now_ms:013d}{n:06d}", "follow": {"isUnblocked": False},
        "source": {"type": "user", "userId": "U" + f"{now_ms:020x}{n:012x}"},
        "deliveryContext": {"isRedelivery": False}}]}).encode()
    request = urllib.request.Request(url + "/webhook", data=body, method="POST", headers={
        "Content-Type": "application/json", "x-line-signature": receiver.signature(SECRET, body)})
    with urllib.request.urlopen(request, timeout=10) as answer:
        if answer.status != 200:
            raise RuntimeError(f"the receiver answered {answer.status}")


_READ = """(label) => {
  for (const m of document.querySelectorAll('[data-testid="stMetric"]')) {
    const l = m.querySelector('[data-testid="stMetricLabel"]');
    if (l && l.innerText.trim() === label) {
      const v = m.querySelector('[data-testid="stMetricValue"]');
      return v ? v.innerText : null;
    }
  }
  return null;
}"""


async def _value(page, label: str) -> int | None:
    text = await page.evaluate(_READ, label)
    digits = re.sub(r"[^0-9]", "", text or "")
    return int(digits) if digits else None


async def _run(app: Server, receiver_url: str, posts: int, timeout_s: float) -> list[float]:
    from playwright.async_api import async_playwright

    label = t("kpi.new_friends", "ja")
    latencies: list[float] = []
    rng = random.Random(18)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            context = await browser.new_context(viewport={"width": 1400, "height": 1200}, locale="ja-JP")
            page = await context.new_page()
            await page.goto(app.url, wait_until="domcontentloaded", timeout=180_000)
            await _drawn(page, 180.0)
            link = page.locator('[data-testid="stSidebarNav"] a[href$="/"]').first   # the Overview (default page)

            async def rerun() -> None:
                await link.click()
                await asyncio.sleep(0.05)
                await _drawn(page, 60.0)

            for n in range(posts):
                await rerun()
                before = await _value(page, label)
                if before is None:
                    raise RuntimeError(f"no KPI card {label!r} on the Overview")
                await asyncio.sleep(rng.uniform(0.0, 1.5))   # not in step with the loader's rounds
                posted = time.perf_counter()
                await asyncio.to_thread(_post_follow, receiver_url, n)
                while True:
                    await rerun()
                    seen = time.perf_counter() - posted - 0.3   # _drawn's 300 ms settle is not latency
                    if (await _value(page, label) or 0) > before:
                        latencies.append(max(seen, 0.0))
                        print(f"  event {n + 1}: on the page after {seen:.2f} s", flush=True)
                        break
                    if seen > timeout_s:
                        latencies.append(float("inf"))
                        print(f"  event {n + 1}: not on the page within {timeout_s:.0f} s", flush=True)
                        break
        finally:
            await browser.close()
    return latencies


def live_bench(db: str | None = None, friends: int = 1_000_000, posts: int = 20, timeout_s: float = 60.0) -> str:
    from bench.measure import _bench_path, _build, _cpu_model, data_dir

    path, own = _bench_path(friends, db)
    if not path.exists():
        if not own:
            raise SystemExit(f"no database at {path}")
        _build(path, friends)
    with tempfile.TemporaryDirectory(dir=data_dir()) as tmp:
        home = Path(tmp)
        copy = home / "live.duckdb"
        shutil.copy(path, copy)
        os.chmod(copy, 0o600)
        env = {"DASHBOARD_DB": str(copy), "DASHBOARD_SINGLE_USER": "true", "DASHBOARD_SPOOL": str(home / "spool"),
               "LINE_CHANNEL_SECRET": SECRET}
        receiver_proc, receiver_url = _receiver(env, home)
        app = None
        load_before = os.getloadavg()[0]
        try:
            app = Server(config.ROOT / "app.py", env, home)
            latencies = asyncio.run(_run(app, receiver_url, posts, timeout_s))
        finally:
            if app is not None:
                app.stop()
            receiver_proc.terminate()
            receiver_proc.wait(10)
    interval = config.get_int("DASHBOARD_INGEST_INTERVAL_S")
    shown = [v for v in latencies if v != float("inf")]
    return (f"## Live ({path.name}, {os.cpu_count()} cores, {_cpu_model()}, load average {load_before:.1f} → "
            f"{os.getloadavg()[0]:.1f}; loader every {interval} s)\n\n"
            f"{len(latencies)} follow events posted to the receiver, each until the Overview's "
            f"「{t('kpi.new_friends', 'ja')}」 card showed it: p50 {_p(shown, .5):.2f} s, "
            f"p95 {_p(latencies, .95):.2f} s, max {max(latencies):.2f} s"
            f" ({len(latencies) - len(shown)} not shown within {timeout_s:.0f} s); "
            f"median {statistics.median(shown) if shown else float('nan'):.2f} s.")
