"""The webhook receiver, tracked links and route links: `python -m dashboard webhook`.

Its own process, a Starlette app on uvicorn, that never opens DuckDB (DESIGN §4): it verifies
LINE's signature over the raw body, appends what it accepts to the spool — append-only JSONL files,
fsync'd before the answer, in group commits — and answers well inside LINE's 2 s. The loader
(`python -m dashboard ingest`, issue 5) reads the spool into the database.

  POST /webhook   x-line-signature checked (401), JSON checked (400), size checked (413);
                  `events: []` (LINE's verify call) answers 200 and stores nothing.
  GET  /r/<token> a tracked link: the token is signed (HMAC) and carries delivery, user and target;
                  a valid one spools a link_click and redirects (302), anything else is a 400.
  GET  /f/<route> a route link: spools a hit for the route and redirects to the add-friend URL
                  (through LINE Login first when a LINE Login channel is configured: route_login.py).
  GET  /login/callback  back from LINE Login: spools who came by which route.
  GET  /healthz
"""
from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import os
import re
import uuid
from pathlib import Path
from urllib.parse import urlparse

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from dashboard.core import config, signing
from dashboard.intake import route_login

LOG = logging.getLogger("dashboard.intake.receiver")

ROUTE_NAME = re.compile(r"^[a-z0-9_-]{1,40}$")
GROUP_COMMIT_S = 0.002  # how long the writer waits for more lines before one fsync covers them all


# LINE's x-line-signature (core/signing.py makes and checks every HMAC token)
signature = signing.line_signature
valid_signature = signing.line_signature_ok


# ---- tracked links --------------------------------------------------------------------------

def link_token(secret: str, delivery_id: str, user_id: str, url: str) -> str:
    """A signed token for /r/<token>: only http(s) targets, so the receiver is no open redirect.
    Signed with the tracked-link key derived from the secret (dashboard/core/signing.py)."""
    if urlparse(url).scheme not in ("http", "https") or not urlparse(url).netloc:
        raise ValueError(f"a tracked link must point to an http(s) URL, not {url!r}")
    return signing.seal(secret, "tracked_link", {"d": delivery_id, "u": user_id, "t": url}, 16)


def read_link_token(secret: str, token: str) -> dict | None:
    """The token's {"d", "u", "t"}, or None when it is malformed or its signature does not match.
    Links sent before keys were derived (signed with the secret itself) keep working."""
    data = signing.unseal(secret, "tracked_link", token, 16, legacy_raw_key=True)
    url = data.get("t") if data else None
    if not isinstance(url, str) or urlparse(url).scheme not in ("http", "https"):
        return None
    return data


# ---- the spool ------------------------------------------------------------------------------

class Spool:
    """Append-only JSONL files, one per UTC hour. `append` returns once its line is on disk:
    lines arriving together share one write and one fsync (a group commit)."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.directory, 0o700)   # the spool holds raw events: the service user's only
        self.pending: list[tuple[bytes, asyncio.Future]] = []
        self.wakeup: asyncio.Event | None = None
        self.writer: asyncio.Task | None = None
        self.started: set[Path] = set()  # files this process has checked for a torn last line

    def _file(self) -> Path:
        return self.directory / (dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d-%H") + ".jsonl")

    async def append(self, record: dict) -> None:
        if self.writer is None:
            self.wakeup = asyncio.Event()
            self.writer = asyncio.create_task(self._write_loop())
        done = asyncio.get_running_loop().create_future()
        line = (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
        self.pending.append((line, done))
        self.wakeup.set()
        await done

    async def _write_loop(self) -> None:
        while True:
            await self.wakeup.wait()
            await asyncio.sleep(GROUP_COMMIT_S)
            self.wakeup.clear()
            batch, self.pending = self.pending, []
            if not batch:
                continue
            try:
                await asyncio.to_thread(self._write, b"".join(line for line, _ in batch))
            except OSError as exc:  # a full disk: the requests fail (LINE redelivers), nothing half-kept
                for _, done in batch:
                    done.set_exception(exc)
                continue
            for _, done in batch:
                done.set_result(None)

    def _write(self, data: bytes) -> None:
        path = self._file()
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            if path not in self.started:
                # A previous receiver may have died mid-append: end its torn line so ours starts
                # on a line of its own (the loader quarantines the torn one; it was never acknowledged).
                size = os.fstat(fd).st_size
                if size and os.pread(fd, 1, size - 1) != b"\n":
                    data = b"\n" + data
                self.started.add(path)
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat()


def build_app(spool_dir: Path, channel_secret: str | None, link_secret: str | None, add_friend_url: str | None,
              max_bytes: int, login: dict | None = None, read_timeout_s: float = 10.0) -> Starlette:
    """`login` ({channel_id, channel_secret, authorize, api_base, public_base}) turns on route
    attribution by LINE Login (dashboard/intake/route_login.py) for route links."""
    spool = Spool(spool_dir)

    async def webhook(request: Request) -> Response:
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > max_bytes:
            return PlainTextResponse("body too large", status_code=413)
        body = b""
        try:   # a slow sender holds a connection: the whole body must arrive within the read timeout
            async with asyncio.timeout(read_timeout_s):
                async for chunk in request.stream():
                    body += chunk
                    if len(body) > max_bytes:
                        return PlainTextResponse("body too large", status_code=413)
        except TimeoutError:
            return PlainTextResponse("body not received in time", status_code=408)
        if not channel_secret:
            return PlainTextResponse("LINE_CHANNEL_SECRET is not configured", status_code=503)
        if not valid_signature(channel_secret, body, request.headers.get("x-line-signature")):
            return PlainTextResponse("bad signature", status_code=401)
        try:
            parsed = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError):   # RecursionError: signed, deeply nested
            return PlainTextResponse("malformed JSON", status_code=400)
        if not isinstance(parsed, dict) or not isinstance(parsed.get("events"), list):
            return PlainTextResponse("not a webhook body: no events list", status_code=400)
        if not parsed["events"]:
            return PlainTextResponse("ok")  # LINE's verify call: nothing to keep
        await spool.append({"kind": "webhook", "received_at": _now(), "body": body.decode("utf-8")})
        return PlainTextResponse("ok")

    async def tracked(request: Request) -> Response:
        data = read_link_token(link_secret, request.path_params["token"]) if link_secret else None
        if data is None:
            return PlainTextResponse("unknown or tampered link", status_code=400)
        await spool.append({"kind": "link_click", "id": uuid.uuid4().hex, "received_at": _now(), "delivery_id": data["d"],
                            "user_id": data["u"], "url": data["t"]})
        return RedirectResponse(data["t"], status_code=302)

    async def route_link(request: Request) -> Response:
        route = request.path_params["route"]
        if not ROUTE_NAME.match(route):
            return PlainTextResponse("unknown route", status_code=400)
        if not add_friend_url:
            return PlainTextResponse("DASHBOARD_ADD_FRIEND_URL is not configured", status_code=503)
        await spool.append({"kind": "route_hit", "id": uuid.uuid4().hex, "received_at": _now(), "route": route})
        if login and link_secret:
            state = route_login.make_state(link_secret, route)
            return RedirectResponse(route_login.authorize_url(login["authorize"], login["channel_id"],
                                                              login["public_base"] + "/login/callback", state),
                                    status_code=302)
        return RedirectResponse(add_friend_url, status_code=302)

    async def login_callback(request: Request) -> Response:
        """Back from LINE Login: learn who came by which route, then on to the add-friend URL. A
        refused or failed log-in still ends at the add-friend URL (the route is then learnt from a
        keyword or postback, or not at all) — a visitor is never stranded."""
        route = route_login.read_state(link_secret, request.query_params.get("state", "")) if login and link_secret else None
        if route is None:
            return PlainTextResponse("unknown or tampered log-in state", status_code=400)
        code = request.query_params.get("code")
        if code:
            try:
                user_id = await asyncio.to_thread(route_login.exchange_code, login["api_base"], login["channel_id"],
                                                  login["channel_secret"], code, login["public_base"] + "/login/callback")
            except (OSError, ValueError, KeyError) as exc:
                LOG.warning("LINE Login for route %s failed: %s", route, exc)
            else:
                await spool.append({"kind": "route_login", "id": uuid.uuid4().hex, "received_at": _now(),
                                    "route": route, "user_id": user_id})
        return RedirectResponse(add_friend_url, status_code=302)

    async def health(request: Request) -> Response:
        # no path: a probe needs to know the receiver is up, not where its files are
        return JSONResponse({"ok": True})

    return Starlette(routes=[
        Route("/webhook", webhook, methods=["POST"]),
        Route("/r/{token}", tracked, methods=["GET"]),
        Route("/f/{route}", route_link, methods=["GET"]),
        Route("/login/callback", login_callback, methods=["GET"]),
        Route("/healthz", health, methods=["GET"]),
    ])


def serve(host: str, port: int) -> None:
    import uvicorn

    os.umask(0o077)   # spool files 0600, folders 0700 (storage.PRIVATE_UMASK; the receiver never opens the DB)

    spool_dir = Path(config.get("DASHBOARD_SPOOL") or "data/spool")
    if not spool_dir.is_absolute():
        spool_dir = config.ROOT / spool_dir
    login = None
    if config.get("LINE_LOGIN_CHANNEL_ID") and config.get("LINE_LOGIN_CHANNEL_SECRET") and config.get("DASHBOARD_PUBLIC_BASE_URL"):
        login = {"channel_id": config.get("LINE_LOGIN_CHANNEL_ID"), "channel_secret": config.get("LINE_LOGIN_CHANNEL_SECRET"),
                 "authorize": config.get("LINE_LOGIN_AUTHORIZE_URL"), "api_base": config.get("LINE_LOGIN_API_BASE_URL"),
                 "public_base": config.get("DASHBOARD_PUBLIC_BASE_URL").rstrip("/")}
    read_timeout = config.get_int("DASHBOARD_WEBHOOK_READ_TIMEOUT_S")
    app = build_app(spool_dir, config.get("LINE_CHANNEL_SECRET"), config.get("DASHBOARD_LINK_SECRET"),
                    config.get("DASHBOARD_ADD_FRIEND_URL"), config.get_int("DASHBOARD_WEBHOOK_MAX_BYTES"), login,
                    read_timeout_s=read_timeout)
    # uvloop + httptools (requirements.txt): twice the requests per second of the pure-Python stack.
    # Idle keep-alive connections close after the read timeout; beyond the connection limit, uvicorn
    # answers 503 at once instead of holding thousands of slow connections open.
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False, loop="uvloop", http="httptools",
                timeout_keep_alive=read_timeout, limit_concurrency=config.get_int("DASHBOARD_WEBHOOK_MAX_CONNECTIONS"))
