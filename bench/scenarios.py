"""`python -m bench.scenarios [--enrolled N] [--due D …]`: the scenario runner at scale.

1. Builds a synthetic account once (data/bench-scenarios-N.duckdb): N friends who followed over
   the 180 days up to now (so the last day holds N/180 follows for the trigger scan), 5 events each
   (their follow, 3 or 4 reactions, a block for 1 %; in time order, like the loader stores them), one active follow-triggered scenario of 5 daily steps and every friend enrolled in it,
   spread over the 5 steps, none due.
2. A tick with nothing due: the median of 5 ticks after a warm-up (target ≤ 200 ms at 1,000,000).
3. For each D: a fresh copy where D enrolments are due now, one tick that plans them (timed), then
   the send engine sending them through a sandbox process over HTTP, paced at LINE's 200 requests/s
   (timed apart: requests per second while sending, and as LINE would see them: from the sandbox's
   first accepted request to its last, and the most in any one second, which must stay ≤ 200); the resident memory both added (sampled every 10 ms: flat in D means the runner never holds the due set), and the
   sandbox's check that each friend got exactly one message. Each D runs in its own process.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from dashboard.core import config, storage

STEPS = [{"timing": {"after": {"days": 1}}, "messages": [{"type": "text", "text": f"ステップ {n}"}]} for n in range(5)]
SCENARIO = {"version": 1, "name": "bench", "trigger": {"type": "follow"}, "window": None,
            "exit": {"purchase": True, "conversion": True, "tags": ["stop"]}, "steps": STEPS}


def build(path: Path, friends: int) -> None:
    from dashboard.scenarios import store

    con = storage.connect(path)
    try:
        con.execute("""
            insert into friends (user_key, user_id, followed_at, last_followed_at, is_following, inflow_route)
            select i, 'U' || lpad(printf('%x', i), 32, '0'),
                   current_timestamp - to_seconds(hash(i) % (180 * 86400)),
                   current_timestamp - to_seconds(hash(i) % (180 * 86400)), true, 'store_pop'
            from range(1, $n + 1) r(i)""", {"n": friends})
        con.execute("""
            insert into events (event_id, user_key, user_id, type, occurred_at, received_at, payload)
            with raw as (
                select f.user_key, f.user_id, k,
                       case when k = 0 then 'follow' when k = 4 and f.user_key % 100 = 0 then 'unfollow'
                            when k = 4 then 'postback' else 'message' end as type,
                       case when k = 0 then f.followed_at
                            else f.followed_at + to_seconds(hash(f.user_key * 7 + k) % (30 * 86400)) end as occurred
                from friends f, range(5) t(k)
            )
            select 'e' || user_key || '_' || k, user_key, user_id, type, occurred, occurred, '{}' from raw
            where occurred <= current_timestamp order by occurred""")
        scenario = store.save(con, SCENARIO, "bench")
        store.set_status(con, "bench", "active", "bench")
        con.execute("""
            insert into scenario_enrolments (scenario_id, user_id, user_key, step_no, status, next_due_at,
                                             enrolled_at, entered_at, enrolled_by)
            select $sid, user_id, user_key, user_key % 5, 'active',
                   current_timestamp + to_seconds(3600 + hash(user_key) % 86400), followed_at, followed_at, 'trigger'
            from friends""", {"sid": scenario.scenario_id})
        storage.checkpoint(con)
    finally:
        con.close()


def idle_ticks(path: Path, repeat: int = 5) -> list[float]:
    from dashboard.scenarios import runner

    con = storage.connect(path)
    try:
        runner.tick(con)   # warm-up
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            report = runner.tick(con)
            times.append((time.perf_counter() - started) * 1000)
            assert not report.deliveries, "nothing should be due"
        return times
    finally:
        con.close()


_DUE_CHILD = r"""
import datetime as dt, json, sys, threading, time
from pathlib import Path
from dashboard.core import storage
from dashboard.line import api
from dashboard.line.sandbox_process import Sandbox
from dashboard.scenarios import runner

path, due = Path(sys.argv[1]), int(sys.argv[2])
box = Sandbox(path.parent / "sandbox")
try:
    con = storage.connect(path)
    con.execute("update scenario_enrolments set next_due_at = current_timestamp - interval 1 minute "
                "where user_key <= $due", {"due": due})
    con.execute("checkpoint")

    def rss() -> int:
        return int(Path("/proc/self/statm").read_text().split()[1]) * 4096

    baseline, peak, stop = rss(), [0], threading.Event()
    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], rss())
            time.sleep(0.01)
    threading.Thread(target=sample, daemon=True).start()
    clients = api.clients(box.url, "token")
    started = time.perf_counter()
    report = runner.tick(con)                       # plans: exits, conditions, ledger, moves
    plan_s = time.perf_counter() - started
    started = time.perf_counter()
    sent_reports = runner.send_pending(con, clients)   # the send engine, paced at 200 requests/s
    send_s = time.perf_counter() - started
    stop.set()
    sent = sum(r.sent for r in sent_reports)
    summary = box.summary()
    ok = sent == due and summary["recipients"] == due and summary["deliveries"] == due and not summary["duplicates"]
    accepted = sorted(dt.datetime.fromisoformat(r["at"]) for r in box.get("/sandbox/inbox")["requests"])
    batches = len(accepted)
    # as LINE would count them: the rate from the first accepted request to the last, and the most in any second
    wire_s = (accepted[-1] - accepted[0]).total_seconds() if batches > 1 else 0.0
    first, peak_1s = 0, 0
    for last, at in enumerate(accepted):
        while (at - accepted[first]).total_seconds() >= 1.0:
            first += 1
        peak_1s = max(peak_1s, last - first + 1)
    print(json.dumps({"plan_s": plan_s, "send_s": send_s, "sent": sent, "deliveries": len(report.deliveries), "batches": batches,
                      "wire_rps": (batches - 1) / wire_s if wire_s else None, "peak_1s": peak_1s,
                      "added_mib": (peak[0] - baseline) / 2**20, "baseline_mib": baseline / 2**20,
                      "check": "each friend exactly once" if ok else f"MISMATCH sent {sent} sandbox {summary['recipients']}"}))
finally:
    box.stop()
"""


def due_tick(path: Path, due: int, work: Path) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    copy = work / "due.duckdb"
    shutil.copy(path, copy)
    out = subprocess.run([sys.executable, "-c", _DUE_CHILD, str(copy), str(due)], cwd=config.ROOT,
                         capture_output=True, text=True, timeout=3600)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    shutil.rmtree(work)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enrolled", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args(argv)
    storage.private_umask()
    data = config.ROOT / "data"
    data.mkdir(exist_ok=True)
    path = data / f"bench-scenarios-{args.enrolled}.duckdb"
    if not path.exists():
        started = time.perf_counter()
        build(path, args.enrolled)
        print(f"built {path.name}: {args.enrolled:,} friends enrolled across 5 steps in "
              f"{time.perf_counter() - started:.1f} s", flush=True)
    times = idle_ticks(path)
    print(f"tick with nothing due ({args.enrolled:,} enrolled): median {statistics.median(times):.0f} ms "
          f"(runs: {', '.join(f'{t:.0f}' for t in times)})", flush=True)
    print("| Due | Step deliveries | Batches | Plan (s) | Send (s) | Requests/s while sending | Requests/s, first to "
          "last accepted | Most in any 1 s | Memory added (MiB) | Check | Load average (1 min) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
    for due in args.due:
        load = os.getloadavg()[0]
        r = due_tick(path, due, data / f"bench-scenarios-due-{due}")
        wire = f"{r['wire_rps']:,.0f}" if r["wire_rps"] else "–"
        print(f"| {due:,} | {r['deliveries']} | {r['batches']:,} | {r['plan_s']:.1f} | {r['send_s']:.1f} | "
              f"{r['batches'] / r['send_s']:,.0f} | {wire} | {r['peak_1s']} | {r['added_mib']:.0f} | {r['check']} | "
              f"{load:.1f} → {os.getloadavg()[0]:.1f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
