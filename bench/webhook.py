"""`python -m dashboard bench --webhook S`: the receiver's requests per second and latency on loopback."""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from dashboard.core import config
from bench.measure import data_dir


def webhook_bench(seconds: float = 10.0, connections: int = 32) -> str:
    """Requests per second and latency of `python -m dashboard webhook` on loopback: signed bodies,
    durable (fsync'd) spooling, keep-alive HTTP/1.1 from an asyncio client in this process (which
    shares the two cores with the server, so the numbers are a floor)."""
    import asyncio
    import json as _json
    import socket
    import subprocess
    import tempfile

    from dashboard.intake import receiver

    secret = "bench-secret"
    with tempfile.TemporaryDirectory(dir=data_dir()) as tmp:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env = {**os.environ, "LINE_CHANNEL_SECRET": secret, "DASHBOARD_SPOOL": str(Path(tmp) / "spool")}
        proc = subprocess.Popen([sys.executable, "-m", "dashboard", "webhook", "--port", str(port)], cwd=config.ROOT,
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            import urllib.request
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                    break
                except OSError:
                    time.sleep(0.1)
            body = _json.dumps({"destination": "Ubench", "events": [{
                "type": "message", "mode": "active", "timestamp": 1767225600000, "webhookEventId": "01JBENCH",
                "source": {"type": "user", "userId": "U" + "0" * 32}, "replyToken": "r",
                "deliveryContext": {"isRedelivery": False}, "message": {"type": "text", "id": "1", "text": "料金"}}]}).encode()
            request = (f"POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                       f"x-line-signature: {receiver.signature(secret, body)}\r\nContent-Length: {len(body)}\r\n\r\n"
                       ).encode() + body
            latencies: list[float] = []
            statuses: dict[int, int] = {}

            async def worker(deadline: float) -> None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                while time.perf_counter() < deadline:
                    started = time.perf_counter()
                    writer.write(request)
                    await writer.drain()
                    head = await reader.readuntil(b"\r\n\r\n")
                    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                                      if line.lower().startswith(b"content-length")))
                    await reader.readexactly(length)
                    latencies.append(time.perf_counter() - started)
                    code = int(head.split(b" ")[1])
                    statuses[code] = statuses.get(code, 0) + 1
                writer.close()

            async def main() -> float:
                deadline = time.perf_counter() + seconds
                started = time.perf_counter()
                await asyncio.gather(*(worker(deadline) for _ in range(connections)))
                return time.perf_counter() - started

            elapsed = asyncio.run(main())
            spooled = sum(1 for f in (Path(tmp) / "spool").glob("*.jsonl") for _ in f.open())
        finally:
            proc.terminate()
            proc.wait(10)
    latencies.sort()
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000  # noqa: E731
    line = (f"| {len(latencies) / elapsed:,.0f} | {p(0.5):.1f} | {p(0.99):.1f} | {connections} | {statuses} | "
            f"{spooled:,} of {statuses.get(200, 0):,} |")
    print(f"  webhook: {len(latencies) / elapsed:,.0f} req/s, p50 {p(0.5):.1f} ms, p99 {p(0.99):.1f} ms", flush=True)
    return ("| Requests/s | p50 (ms) | p99 (ms) | Connections | Answers | Spooled lines (fsync'd) |\n"
            "|---:|---:|---:|---:|---|---|\n" + line)
