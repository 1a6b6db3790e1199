"""`python -m dashboard bench --send N`: plan and send N recipients through a sandbox over HTTP."""
from __future__ import annotations

import sys

from dashboard.core import config
from bench.measure import data_dir


def send_bench(recipients_list: list[int]) -> str:
    """Plan and send N recipients through a sandbox process over HTTP; wall time and memory.

    Each size runs in a fresh child process, so its peak memory is its own (memory must stay flat
    in the audience size: the engine reads the ledger 200 batches at a time)."""
    import json as _json
    import subprocess
    import tempfile

    lines = ["| Recipients | Batches | Plan (s) | Send (s) | Recipients/s | Peak memory (MiB) | Sandbox check |",
             "|---:|---:|---:|---:|---:|---:|---|"]
    for n in recipients_list:
        with tempfile.TemporaryDirectory(dir=data_dir()) as tmp:
            out = subprocess.run([sys.executable, "-c", _SEND_CHILD, tmp, str(n)], cwd=config.ROOT,
                                 capture_output=True, text=True, timeout=1800)
            if out.returncode != 0:
                raise RuntimeError(f"send benchmark failed: {out.stderr[-2000:]}")
            r = _json.loads(out.stdout.strip().splitlines()[-1])
        lines.append(f"| {n:,} | {r['batches']:,} | {r['plan_s']:.1f} | {r['send_s']:.1f} | {n / r['send_s']:,.0f} | "
                     f"{r['rss_mib']:,.0f} | {r['check']} |")
        print(f"  send {n:,}: plan {r['plan_s']:.1f} s, send {r['send_s']:.1f} s, peak {r['rss_mib']:.0f} MiB, {r['check']}",
              flush=True)
    return "\n".join(lines)


_SEND_CHILD = r"""
import json, resource, sys, time, uuid
from pathlib import Path
from dashboard.line import api as line_api
from dashboard.messaging import sending
from dashboard.core import storage
from dashboard.line.sandbox_process import Sandbox
tmp, n = Path(sys.argv[1]), int(sys.argv[2])
box = Sandbox(tmp / "sandbox")
try:
    con = storage.connect(tmp / "send.duckdb")
    # the audience as the compose page hands it over: a query, so no list of IDs lives in Python
    source = ("select (i + 1)::integer as user_key, 'U' || lpad(lower(to_hex(i)), 32, '0') as user_id from range($n) t(i)",
              {"n": n})
    started = time.perf_counter()
    sending.plan(con, delivery_id="bench", source=source, messages=[{"type": "text", "text": "ベンチマーク"}])
    plan_s = time.perf_counter() - started
    started = time.perf_counter()
    report = sending.run(con, "bench", line_api.clients(box.url, "token"))
    send_s = time.perf_counter() - started
    summary = box.summary()
    ok = report.sent == n and summary["recipients"] == n and summary["deliveries"] == n and not summary["duplicates"]
    print(json.dumps({"plan_s": plan_s, "send_s": send_s, "batches": (n + 499) // 500,
                      "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "check": "each recipient exactly once" if ok else f"MISMATCH {summary['recipients']}"}))
finally:
    box.stop()
"""
