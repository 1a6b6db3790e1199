"""A real sandbox process on a free loopback port, for tests (no patched SDK anywhere)."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sandbox:
    def __init__(self, state_dir: Path, *args: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        state_dir.mkdir(parents=True, exist_ok=True)
        self.log = state_dir / "sandbox.log"  # a file: a pipe nobody reads would block the server
        self.proc = subprocess.Popen([sys.executable, "-m", "dashboard", "sandbox", "--port", str(self.port),
                                      "--state", str(state_dir), *args], cwd=ROOT,
                                     stdout=self.log.open("w"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                self.get("/sandbox/health")
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("sandbox did not start: " + self.log.read_text()[-2000:])

    def get(self, path: str) -> dict:
        with urllib.request.urlopen(self.url + path, timeout=10) as r:
            return json.loads(r.read())

    def configure(self, **settings) -> None:
        request = urllib.request.Request(self.url + "/sandbox/config", data=json.dumps(settings).encode(),
                                         headers={"content-type": "application/json"}, method="POST")
        urllib.request.urlopen(request, timeout=10).read()

    def summary(self, unit: str | None = None) -> dict:
        return self.get("/sandbox/summary" + (f"?unit={unit}" if unit else ""))

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
