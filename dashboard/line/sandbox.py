"""The sandbox: a local stand-in for the LINE Messaging API, a real HTTP server on loopback.

`python -m dashboard sandbox [--port P] [--state DIR]`. It answers the endpoints the product uses
like LINE does (LINE_API_NOTES §2–4): at most 500 recipients per multicast and 5 messages per
request, message objects checked against LINE's limits with LINE-style 400 details, a required
UUID X-Line-Retry-Key that gets 409 + x-line-accepted-request-id when repeated, a monthly quota that
runs out with 429 "You have reached your monthly limit.", and injected faults (429s, 500s before or
after accepting, latency). Every accepted recipient is recorded in the inbox (DIR/inbox.jsonl), so a
test or an operator can see exactly who received what; /sandbox/* endpoints read it.

Reads (sandbox_reads.py): follower IDs with paging, profiles, insight per day, statistics per unit
and per request, quota; insight endpoints allow 60 requests per hour each, like LINE. LINE Login
(sandbox_login.py): /oauth2/v2.1/authorize redirects back at once with a code, /oauth2/v2.1/token
exchanges it for tokens and an HS256 id_token whose `sub` is the configured user.

Sandbox-only endpoints: GET /sandbox/inbox[?user_id=], GET /sandbox/summary[?unit=], GET
/sandbox/calls[?path=prefix] (every LINE API request the sandbox answered, oldest first), GET
/sandbox/health (with the state folder's instance id: dashboard/line/sandbox_owner.py), and POST /sandbox/config with any of these keys:
  p429, p500, p500_after, latency_ms   fault shares (0-1) and latency of send requests
  quota                                monthly message quota
  followers                            the friends (list of user ids; replaces); broadcast reaches them
  add_followers, remove_followers      change that list
  blocked                              user ids that blocked the account (replaces): never listed,
                                       profile 404, counted in insight blocks
  profiles                             {user_id: {"displayName": …, "pictureUrl": …} or "name"} (merged)
  followers_forbidden                  true: followers/ids answers 403 like an unverified account
  insight_unready_days                 the latest N days answer status unready (default 0)
  insight_per_hour                     insight requests allowed per endpoint per hour (default 60)
  endpoint_errors                      {"/v2/bot/…": status}: that path answers the status (replaces)
  login_user_id                        the LINE user id LINE Login codes stand for
  reject_user_ids                      user ids that push and multicast refuse with LINE's 400
                                       "The property, 'to[n]', in the request body is invalid"
                                       (replaces); any `to` that is not a LINE user ID is refused so too
  reject_names_index                   false: that 400 names only `to`, not which index (default true)
  reply_tokens                         {token: {"user_id": U…, "issued_at": ISO time}} or {token: U…}
                                       (issued now), merged: reply tokens as LINE issues them with
                                       events; each answers one reply within 60 s of issued_at, else
                                       400 "Invalid reply token"

POST /v2/bot/message/reply answers like LINE: free (not counted in the quota), no retry key, the
token single-use; an accepted reply is in the inbox as kind "reply" to the token's user.
"""
from __future__ import annotations

import datetime as dt
import json
import random
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.middleware import Middleware
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from dashboard.line import ids, message_limits, sandbox_login, sandbox_owner, sandbox_reads

RATE_LIMIT_MESSAGE = "The API rate limit has been exceeded. Try again later."
MONTHLY_LIMIT_MESSAGE = "You have reached your monthly limit."
SEND_KINDS = ("push", "multicast", "narrowcast", "broadcast")


@dataclass
class Faults:
    """Shares of requests (0–1) that fail, and added latency. Settable at run time."""
    p429: float = 0.0          # 429 rate limit, nothing accepted
    p500: float = 0.0          # 500 before accepting
    p500_after: float = 0.0    # 500 after accepting (the case retry keys exist for)
    latency_ms: float = 0.0
    seed: int = 0


@dataclass
class State:
    directory: Path
    quota: int = 1_000_000_000
    faults: Faults = field(default_factory=Faults)
    followers: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    keys: dict = field(default_factory=dict)          # retry key -> accepted request id
    usage: dict = field(default_factory=dict)         # "YYYY-MM" -> messages counted
    requests: dict = field(default_factory=dict)      # request id -> summary (narrowcast progress)
    units: dict = field(default_factory=dict)         # aggregation unit -> recipients
    unit_messages: dict = field(default_factory=dict) # aggregation unit -> messages of its latest request
    # reads and LINE Login (set through POST /sandbox/config; see the module docstring)
    blocked: set = field(default_factory=set)
    profiles: dict = field(default_factory=dict)      # user id -> profile fields
    followers_forbidden: bool = False
    insight_unready_days: int = 0
    insight_per_hour: int = 60
    endpoint_errors: dict = field(default_factory=dict)  # path -> HTTP status
    login_user_id: str | None = None
    reject_user_ids: set = field(default_factory=set)  # push / multicast answer 400 naming them
    reject_names_index: bool = True                    # false: the 400 does not say which recipient
    login_codes: dict = field(default_factory=dict)   # code -> what it was issued for
    reply_tokens: dict = field(default_factory=dict)  # reply token -> (user id, issued at: aware datetime)
    insight_calls: dict = field(default_factory=dict) # insight path -> deque of monotonic times
    calls: deque = field(default_factory=lambda: deque(maxlen=100_000))  # LINE API requests answered

    def __post_init__(self):
        self.directory.mkdir(parents=True, exist_ok=True)
        self.rng = random.Random(self.faults.seed)
        self.follower_set = set(self.followers)
        self.instance = sandbox_owner.instance_of(self.directory, create=True)  # health says whose state this is
        self.base_usage: tuple[str, int, str] | None = None   # (month, messages, since): seed_usage()
        self._load()

    def set_followers(self, followers: list[str]) -> None:
        self.followers = list(dict.fromkeys(followers))
        self.follower_set = set(self.followers)

    def listed_followers(self) -> list[str]:
        """What followers/ids lists: the followers, without those who blocked the account."""
        return [u for u in self.followers if u not in self.blocked] if self.blocked else self.followers

    # Accepted requests are appended (and flushed) to inbox.jsonl before the answer goes out, and
    # the retry keys and usage are rebuilt from it on start: a restarted sandbox remembers them.
    @property
    def inbox_path(self) -> Path:
        return self.directory / "inbox.jsonl"

    def records(self):
        """Every accepted request in the inbox, oldest first."""
        if not self.inbox_path.exists():
            return
        for line in self.inbox_path.read_text(encoding="utf-8").splitlines():
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                continue  # a half-written last line from a crash

    def _load(self) -> None:
        for record in self.records():
            self._remember(record)

    def seed_usage(self, month: str, messages: int, since: str) -> None:
        """This month's consumption as the account last reported it (`messages` up to the ISO time
        `since`): what the sandbox accepted after `since` is added on top, like LINE would."""
        with self.lock:
            self.base_usage = (month, int(messages), since)
            later = sum(len(r["to"]) for r in self.records() if r["at"][:7] == month and r["at"] > since)
            self.usage[month] = int(messages) + later

    def _remember(self, record: dict) -> None:
        if record.get("retry_key"):
            self.keys[record["retry_key"]] = record["request_id"]
        month = record["at"][:7]
        if record["kind"] != "reply":   # replies are free: they use no quota
            self.usage[month] = self.usage.get(month, 0) + len(record["to"])
        self.requests[record["request_id"]] = {"kind": record["kind"], "count": len(record["to"]), "at": record["at"],
                                               "messages": record.get("messages", [])}
        if record.get("unit"):
            self.units[record["unit"]] = self.units.get(record["unit"], 0) + len(record["to"])
            self.unit_messages[record["unit"]] = record.get("messages", [])

    def accept(self, kind: str, to: list[str], messages: list, retry_key: str | None, unit: str | None) -> str:
        request_id = str(uuid.uuid4())
        record = {"request_id": request_id, "kind": kind, "to": to, "messages": messages, "retry_key": retry_key,
                  "unit": unit, "at": dt.datetime.now(dt.timezone.utc).isoformat()}
        if getattr(self, "_inbox", None) is None:
            self._inbox = self.inbox_path.open("a", encoding="utf-8")
        self._inbox.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._inbox.flush()
        self._remember(record)
        return request_id

    def month(self) -> str:
        return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m")


def _error(status: int, message: str, details: list | None = None, headers: dict | None = None) -> JSONResponse:
    body = {"message": message}
    if details:
        body["details"] = details
    return JSONResponse(body, status_code=status, headers={"x-line-request-id": str(uuid.uuid4()), **(headers or {})})


def _ok(body: dict, status: int = 200, request_id: str | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers={"x-line-request-id": request_id or str(uuid.uuid4())})


def _valid_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
        return True
    except ValueError:
        return False


def build_app(state: State) -> Starlette:
    async def authorised(request: Request) -> JSONResponse | None:
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer ") or not auth[7:].strip():
            return _error(401, "Authentication failed. Confirm that the access token in the authorization header is valid.")
        return None

    async def body_of(request: Request):
        try:
            return json.loads(await request.body()), None
        except (json.JSONDecodeError, UnicodeDecodeError):
            return None, _error(400, "The request body could not be parsed as JSON")

    async def send(request: Request) -> Response:
        kind = request.path_params["kind"]
        if kind not in SEND_KINDS:
            return _error(404, "Not found")
        if (denied := await authorised(request)) is not None:
            return denied
        if state.faults.latency_ms:
            time.sleep(state.faults.latency_ms / 1000)  # sync sleep: a slow server, not a slow client
        body, bad = await body_of(request)
        if bad:
            return bad
        retry_key = request.headers.get("x-line-retry-key")
        if retry_key is not None and not _valid_uuid(retry_key):
            return _error(400, "The value of the X-Line-Retry-Key header is invalid")
        problems = message_limits.check_messages(body.get("messages") if isinstance(body, dict) else None)
        to = _recipients(kind, body, state, problems)
        unit = None
        units = body.get("customAggregationUnits") if isinstance(body, dict) else None
        if units is not None:
            if kind not in ("push", "multicast") or not isinstance(units, list) or len(units) != 1 \
                    or not isinstance(units[0], str) or not units[0] or len(units[0]) > 30 \
                    or not all(ch.isascii() and (ch.isalnum() or ch == "_") for ch in units[0]):
                problems.append(message_limits.Problem("customAggregationUnits", "must be one name of up to 30 characters [A-Za-z0-9_]"))
            else:
                unit = units[0]
        if problems:
            return _error(400, "The request body has %d error(s)" % len(problems), problems)
        with state.lock:
            if retry_key is not None and retry_key in state.keys:
                return _error(409, "The retry key is already accepted",
                              headers={"x-line-accepted-request-id": state.keys[retry_key]})
            roll = state.rng.random()
            if roll < state.faults.p429:
                return _error(429, RATE_LIMIT_MESSAGE)
            if roll < state.faults.p429 + state.faults.p500:
                return _error(500, "Internal server error (injected)")
            if state.usage.get(state.month(), 0) + len(to) > state.quota:
                return _error(429, MONTHLY_LIMIT_MESSAGE)
            request_id = state.accept(kind, to, body["messages"], retry_key, unit)
            if roll < state.faults.p429 + state.faults.p500 + state.faults.p500_after:
                return _error(500, "Internal server error after accepting (injected)")
        if kind == "push":
            return _ok({"sentMessages": [{"id": str(uuid.uuid4().int)[:18], "quoteToken": "q"} for _ in body["messages"]]},
                       request_id=request_id)
        return _ok({}, 202 if kind == "narrowcast" else 200, request_id)

    async def reply(request: Request) -> Response:
        if (denied := await authorised(request)) is not None:
            return denied
        body, bad = await body_of(request)
        if bad:
            return bad
        if request.headers.get("x-line-retry-key") is not None:
            return _error(400, "The X-Line-Retry-Key header cannot be used with this endpoint")
        problems = message_limits.check_messages(body.get("messages") if isinstance(body, dict) else None)
        if problems:
            return _error(400, "The request body has %d error(s)" % len(problems), problems)
        with state.lock:
            token = body.get("replyToken") if isinstance(body, dict) else None
            issued = state.reply_tokens.get(token) if isinstance(token, str) else None
            now = dt.datetime.now(dt.timezone.utc)
            if issued is None or (now - issued[1]).total_seconds() > 60:
                return _error(400, "Invalid reply token")
            roll = state.rng.random()
            if roll < state.faults.p429:
                return _error(429, RATE_LIMIT_MESSAGE)
            if roll < state.faults.p429 + state.faults.p500:
                return _error(500, "Internal server error (injected)")
            del state.reply_tokens[token]     # single use
            request_id = state.accept("reply", [issued[0]], body["messages"], None, None)
            if roll < state.faults.p429 + state.faults.p500 + state.faults.p500_after:
                return _error(500, "Internal server error after accepting (injected)")
        return _ok({"sentMessages": [{"id": str(uuid.uuid4().int)[:18], "quoteToken": "q"} for _ in body["messages"]]},
                   request_id=request_id)

    async def validate(request: Request) -> Response:
        if (denied := await authorised(request)) is not None:
            return denied
        body, bad = await body_of(request)
        if bad:
            return bad
        problems = message_limits.check_messages(body.get("messages") if isinstance(body, dict) else None)
        if problems:
            return _error(400, "The request body has %d error(s)" % len(problems), problems)
        return _ok({})

    async def quota(request: Request) -> Response:
        return await authorised(request) or _ok({"type": "limited", "value": state.quota})

    async def consumption(request: Request) -> Response:
        return await authorised(request) or _ok({"totalUsage": state.usage.get(state.month(), 0)})

    async def bot_info(request: Request) -> Response:
        return await authorised(request) or _ok({
            "userId": "Usandbox0000000000000000000000000", "basicId": "@sandbox", "displayName": "Sandbox",
            "chatMode": "bot", "markAsReadMode": "auto"})

    async def progress(request: Request) -> Response:
        if (denied := await authorised(request)) is not None:
            return denied
        info = state.requests.get(request.query_params.get("requestId", ""))
        if info is None or info["kind"] != "narrowcast":
            return _error(404, "Not found")
        return _ok({"phase": "succeeded", "successCount": info["count"], "failureCount": 0,
                    "targetCount": info["count"], "acceptedTime": info["at"], "completedTime": info["at"]})

    # ---- sandbox-only: the inbox and run-time fault settings --------------------------------

    async def inbox(request: Request) -> Response:
        user = request.query_params.get("user_id")
        records = [{k: record[k] for k in ("request_id", "kind", "messages", "unit", "at")}
                   | {"recipients": len(record["to"])}
                   for record in state.records() if user is None or user in record["to"]]
        return JSONResponse({"requests": records})

    async def summary(request: Request) -> Response:
        """Messages received per user (by unit, when given): who got what, and who got it twice."""
        unit = request.query_params.get("unit")
        counts: dict[str, int] = {}
        for record in state.records():
            if unit is None or record.get("unit") == unit:
                for user in record["to"]:
                    counts[user] = counts.get(user, 0) + 1
        return JSONResponse({"recipients": len(counts), "deliveries": sum(counts.values()),
                             "duplicates": sorted(u for u, n in counts.items() if n > 1),
                             "usage": state.usage.get(state.month(), 0), "quota": state.quota})

    async def configure(request: Request) -> Response:
        body, bad = await body_of(request)
        if bad:
            return bad
        with state.lock:
            for name in ("p429", "p500", "p500_after", "latency_ms"):
                if name in body:
                    setattr(state.faults, name, float(body[name]))
            if "quota" in body:
                state.quota = int(body["quota"])
            if "followers" in body:
                state.set_followers(list(body["followers"]))
            if "add_followers" in body:
                state.set_followers(state.followers + list(body["add_followers"]))
            if "remove_followers" in body:
                gone = set(body["remove_followers"])
                state.set_followers([u for u in state.followers if u not in gone])
            if "blocked" in body:
                state.blocked = set(body["blocked"])
            for user_id, fields in (body.get("profiles") or {}).items():
                state.profiles[user_id] = {"displayName": fields} if isinstance(fields, str) else dict(fields)
            if "followers_forbidden" in body:
                state.followers_forbidden = bool(body["followers_forbidden"])
            for name in ("insight_unready_days", "insight_per_hour"):
                if name in body:
                    setattr(state, name, int(body[name]))
            if "endpoint_errors" in body:
                state.endpoint_errors = {path: int(status) for path, status in (body["endpoint_errors"] or {}).items()}
            if "reject_names_index" in body:
                state.reject_names_index = bool(body["reject_names_index"])
            if "reject_user_ids" in body:
                state.reject_user_ids = set(body["reject_user_ids"] or [])
            for token, issued in (body.get("reply_tokens") or {}).items():
                if isinstance(issued, str):   # just a user ID: issued now
                    state.reply_tokens[token] = (issued, dt.datetime.now(dt.timezone.utc))
                else:
                    state.reply_tokens[token] = (issued["user_id"], dt.datetime.fromisoformat(issued["issued_at"]))
            if "login_user_id" in body:
                state.login_user_id = body["login_user_id"] or None
        return JSONResponse({"ok": True})

    async def calls(request: Request) -> Response:
        prefix = request.query_params.get("path", "")
        return JSONResponse({"calls": [c for c in list(state.calls) if c["path"].startswith(prefix)]})

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True, "sandbox": True, "instance": state.instance})

    return Starlette(routes=[
        *sandbox_reads.routes(state, authorised, _error, _ok),
        *sandbox_login.routes(state),
        Route("/v2/bot/message/validate/{kind}", validate, methods=["POST"]),
        Route("/v2/bot/message/quota", quota, methods=["GET"]),
        Route("/v2/bot/message/quota/consumption", consumption, methods=["GET"]),
        Route("/v2/bot/message/progress/narrowcast", progress, methods=["GET"]),
        Route("/v2/bot/message/reply", reply, methods=["POST"]),
        Route("/v2/bot/message/{kind}", send, methods=["POST"]),
        Route("/v2/bot/info", bot_info, methods=["GET"]),
        Route("/sandbox/inbox", inbox, methods=["GET"]),
        Route("/sandbox/summary", summary, methods=["GET"]),
        Route("/sandbox/calls", calls, methods=["GET"]),
        Route("/sandbox/config", configure, methods=["POST"]),
        Route("/sandbox/health", health, methods=["GET"]),
    ], middleware=[Middleware(_CallLog, state=state)])


class _CallLog:
    """Plain ASGI (cheap on the send path): records every LINE API request, and answers the
    endpoints set in `endpoint_errors` with their status instead of the real handler."""

    def __init__(self, app, state: State):
        self.app, self.state = app, state

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and not scope["path"].startswith("/sandbox/"):
            self.state.calls.append({"at": dt.datetime.now(dt.timezone.utc).isoformat(), "method": scope["method"],
                                     "path": scope["path"], "query": scope.get("query_string", b"").decode("latin-1")})
            status = self.state.endpoint_errors.get(scope["path"])
            if status:
                message = "Internal server error (injected)" if status >= 500 else f"Injected error {status}"
                await _error(status, message)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _recipients(kind: str, body, state: State, problems: list) -> list[str]:
    if not isinstance(body, dict):
        return []
    if kind == "push":
        to = body.get("to")
        if not isinstance(to, str) or not to:
            problems.append(message_limits.Problem("to", "must be specified"))
            return []
        if not ids.is_user_id(to) and not ids.is_group_id(to) and not ids.is_room_id(to) \
                or to in state.reject_user_ids:
            problems.append(message_limits.Problem("to", "The property, 'to', in the request body is invalid"))
        return [to]
    if kind == "multicast":
        to = body.get("to")
        if not isinstance(to, list) or not 1 <= len(to) <= message_limits.MAX_MULTICAST_RECIPIENTS:
            problems.append(message_limits.Problem("to", f"Size must be between 1 and {message_limits.MAX_MULTICAST_RECIPIENTS}"))
            return []
        for n, user in enumerate(to):  # LINE names each recipient it refuses by its index
            if not ids.is_user_id(user) or user in state.reject_user_ids:
                prop = f"to[{n}]" if state.reject_names_index else "to"
                problems.append(message_limits.Problem(prop, f"The property, '{prop}', in the request body is invalid"))
        return list(to)
    return list(state.listed_followers())  # broadcast and narrowcast reach the followers who did not block


def serve(port: int, state_dir: Path, host: str = "127.0.0.1", quota: int | None = None, faults: Faults | None = None,
          log_level: str = "warning") -> None:
    import uvicorn

    state = State(Path(state_dir), faults=faults or Faults())
    if quota is not None:
        state.quota = quota
    uvicorn.run(build_app(state), host=host, port=port, log_level=log_level, access_log=False)
