"""Whose sandbox answers on a port (issue 19, point 11).

Two dashboards on one machine used to reuse whatever answered on DASHBOARD_SANDBOX_PORT, so one
checkout's sends landed in the other's sandbox state. Now a sandbox's state folder holds an
instance file (`instance`, random, made by the sandbox that first serves the folder) and
GET /sandbox/health says it. A dashboard uses an answering sandbox only when that instance is the
one in its own state folder; otherwise it serves its own on a free loopback port, and
`sandbox_url()` (dashboard/line/api.py) points there for the rest of the process.
"""
from __future__ import annotations

import json
import secrets
import urllib.request
from pathlib import Path

INSTANCE_FILE = "instance"
_chosen: str | None = None     # the URL of this process's own sandbox when not on the default port


def instance_of(directory: Path, *, create: bool = False) -> str | None:
    """The instance id of the sandbox state in `directory` (made when `create` and missing)."""
    path = Path(directory) / INSTANCE_FILE
    try:
        return path.read_text(encoding="ascii").strip() or None
    except FileNotFoundError:
        if not create:
            return None
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(16)
    try:
        with path.open("x", encoding="ascii") as out:   # a second sandbox on the same folder keeps the first id
            out.write(token + "\n")
        path.chmod(0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    return token


def health(url: str, timeout: float = 1.0) -> dict | None:
    """What /sandbox/health answers on `url`, or None when nothing (or not a sandbox) answers."""
    try:
        with urllib.request.urlopen(url + "/sandbox/health", timeout=timeout) as r:
            body = json.loads(r.read())
    except (OSError, ValueError):
        return None
    return body if isinstance(body, dict) and body.get("sandbox") else None


def whose(url: str, directory: Path) -> str:
    """"ours" (the sandbox serving `directory`), "other" (another instance's), or "none"."""
    answer = health(url)
    if answer is None:
        return "none"
    mine = instance_of(directory)
    return "ours" if mine and answer.get("instance") == mine else "other"


def choose(url: str) -> None:
    global _chosen
    _chosen = url


def chosen() -> str | None:
    return _chosen
