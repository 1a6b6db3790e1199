"""The sandbox: a local stand-in for the LINE Messaging API, a real HTTP server on loopback.

`python -m dashboard sandbox [--port P] [--state DIR]`. It answers the endpoints the product uses
like LINE does (LINE_API_NOTES §2–4): at most 500 recipients per multicast and 5 messages per
request, message objects checked against LINE's limits with LINE-style 400 details, a required
UUID X-Line-Retry-Key that gets 409 + x-line-accepted-request-id when repeated, a monthly quota that
runs out with 429 "You have reached your monthly limit.", and injected faults (429s, 500s before or
after accepting, latency). Every accepted recipient is recorded in the inbox (DIR/inbox.jsonl), so a
test or an operator can see exactly who received what; /sandbox/* endpoints read it.
"""
from __future__ import annotations

import datetime as dt
import json
import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from dashboard import line_messages

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

    def __post_init__(self):
        self.directory.mkdir(parents=True, exist_ok=True)
        self.rng = random.Random(self.faults.seed)
        self._load()

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

    def _remember(self, record: dict) -> None:
        if record.get("retry_key"):
            self.keys[record["retry_key"]] = record["request_id"]
        month = record["at"][:7]
        self.usage[month] = self.usage.get(month, 0) + len(record["to"])
        self.requests[record["request_id"]] = {"kind": record["kind"], "count": len(record["to"]), "at": record["at"]}
        if record.get("unit"):
            self.units[record["unit"]] = self.units.get(record["unit"], 0) + len(record["to"])

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
        problems = line_messages.check_messages(body.get("messages") if isinstance(body, dict) else None)
        to = _recipients(kind, body, state, problems)
        unit = None
        units = body.get("customAggregationUnits") if isinstance(body, dict) else None
        if units is not None:
            if kind not in ("push", "multicast") or not isinstance(units, list) or len(units) != 1 \
                    or not isinstance(units[0], str) or not units[0] or len(units[0]) > 30 \
                    or not all(ch.isascii() and (ch.isalnum() or ch == "_") for ch in units[0]):
                problems.append(line_messages.Problem("customAggregationUnits", "must be one name of up to 30 characters [A-Za-z0-9_]"))
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

    async def validate(request: Request) -> Response:
        if (denied := await authorised(request)) is not None:
            return denied
        body, bad = await body_of(request)
        if bad:
            return bad
        problems = line_messages.check_messages(body.get("messages") if isinstance(body, dict) else None)
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

    async def profile(request: Request) -> Response:
        if (denied := await authorised(request)) is not None:
            return denied
        user_id = request.path_params["user_id"]
        if state.followers and user_id not in set(state.followers):
            return _error(404, "Not found")
        return _ok({"userId": user_id, "displayName": f"友だち {user_id[-4:]}", "language": "ja"})

    async def follower_ids(request: Request) -> Response:
        if (denied := await authorised(request)) is not None:
            return denied
        limit = min(int(request.query_params.get("limit", 300)), 1000)
        start = int(request.query_params.get("start", 0) or 0)
        page = state.followers[start:start + limit]
        body = {"userIds": page}
        if start + limit < len(state.followers):
            body["next"] = str(start + limit)
        return _ok(body)

    async def progress(request: Request) -> Response:
        if (denied := await authorised(request)) is not None:
            return denied
        info = state.requests.get(request.query_params.get("requestId", ""))
        if info is None or info["kind"] != "narrowcast":
            return _error(404, "Not found")
        return _ok({"phase": "succeeded", "successCount": info["count"], "failureCount": 0,
                    "targetCount": info["count"], "acceptedTime": info["at"], "completedTime": info["at"]})

    async def unit_stats(request: Request) -> Response:
        if (denied := await authorised(request)) is not None:
            return denied
        count = state.units.get(request.query_params.get("customAggregationUnit", ""), 0)
        under = lambda n: n if n >= 20 else None  # noqa: E731  LINE hides numbers under 20
        return _ok({"overview": {"uniqueImpression": under(int(count * 0.5)), "uniqueClick": under(int(count * 0.04)),
                                 "uniqueMediaPlayed": None, "uniqueMediaPlayed100Percent": None},
                    "messages": [], "clicks": []})

    def _day_counts(date: str) -> dict[str, int]:
        """Recipients per send kind on a day (yyyyMMdd, UTC+9 as LINE counts it)."""
        counts: dict[str, int] = {}
        for info in state.requests.values():
            at = dt.datetime.fromisoformat(info["at"]).astimezone(dt.timezone(dt.timedelta(hours=9)))
            if at.strftime("%Y%m%d") == date:
                counts[info["kind"]] = counts.get(info["kind"], 0) + info["count"]
        return counts

    async def insight_delivery(request: Request) -> Response:
        if (denied := await authorised(request)) is not None:
            return denied
        counts = _day_counts(request.query_params.get("date", ""))
        return _ok({"status": "ready", "broadcast": 0, "targeting": 0, "apiPush": counts.get("push", 0),
                    "apiMulticast": counts.get("multicast", 0), "apiNarrowcast": counts.get("narrowcast", 0),
                    "apiBroadcast": counts.get("broadcast", 0), "apiReply": 0})

    async def insight_followers(request: Request) -> Response:
        if (denied := await authorised(request)) is not None:
            return denied
        return _ok({"status": "ready", "followers": len(state.followers), "targetedReaches": len(state.followers),
                    "blocks": 0})

    async def insight_event(request: Request) -> Response:
        """Statistics of a narrowcast or broadcast: LINE hides numbers under 20 (null)."""
        if (denied := await authorised(request)) is not None:
            return denied
        info = state.requests.get(request.query_params.get("requestId", ""))
        if info is None or info["kind"] not in ("narrowcast", "broadcast"):
            return _error(404, "Not found")
        under = lambda n: n if n >= 20 else None  # noqa: E731
        return _ok({"overview": {"requestId": request.query_params["requestId"], "timestamp": 0,
                                 "delivered": info["count"], "uniqueImpression": under(int(info["count"] * 0.5)),
                                 "uniqueClick": under(int(info["count"] * 0.04)), "uniqueMediaPlayed": None,
                                 "uniqueMediaPlayed100Percent": None}, "messages": [], "clicks": []})

    async def units_info(request: Request) -> Response:
        return await authorised(request) or _ok({"numOfCustomAggregationUnits": len(state.units)})

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
                state.followers = list(body["followers"])
        return JSONResponse({"ok": True})

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True, "sandbox": True})

    return Starlette(routes=[
        Route("/v2/bot/message/validate/{kind}", validate, methods=["POST"]),
        Route("/v2/bot/message/quota", quota, methods=["GET"]),
        Route("/v2/bot/message/quota/consumption", consumption, methods=["GET"]),
        Route("/v2/bot/message/progress/narrowcast", progress, methods=["GET"]),
        Route("/v2/bot/message/aggregation/info", units_info, methods=["GET"]),
        Route("/v2/bot/message/{kind}", send, methods=["POST"]),
        Route("/v2/bot/info", bot_info, methods=["GET"]),
        Route("/v2/bot/profile/{user_id}", profile, methods=["GET"]),
        Route("/v2/bot/followers/ids", follower_ids, methods=["GET"]),
        Route("/v2/bot/insight/message/event/aggregation", unit_stats, methods=["GET"]),
        Route("/v2/bot/insight/message/event", insight_event, methods=["GET"]),
        Route("/v2/bot/insight/message/delivery", insight_delivery, methods=["GET"]),
        Route("/v2/bot/insight/followers", insight_followers, methods=["GET"]),
        Route("/sandbox/inbox", inbox, methods=["GET"]),
        Route("/sandbox/summary", summary, methods=["GET"]),
        Route("/sandbox/config", configure, methods=["POST"]),
        Route("/sandbox/health", health, methods=["GET"]),
    ])


def _recipients(kind: str, body, state: State, problems: list) -> list[str]:
    if not isinstance(body, dict):
        return []
    if kind == "push":
        to = body.get("to")
        if not isinstance(to, str) or not to:
            problems.append(line_messages.Problem("to", "must be specified"))
            return []
        return [to]
    if kind == "multicast":
        to = body.get("to")
        if not isinstance(to, list) or not 1 <= len(to) <= line_messages.MAX_MULTICAST_RECIPIENTS:
            problems.append(line_messages.Problem("to", f"Size must be between 1 and {line_messages.MAX_MULTICAST_RECIPIENTS}"))
            return []
        if not all(isinstance(u, str) and u.startswith("U") for u in to):
            problems.append(line_messages.Problem("to", "must be user IDs"))
            return []
        return list(to)
    return list(state.followers)  # broadcast and narrowcast reach the sandbox's followers


def serve(port: int, state_dir: Path, host: str = "127.0.0.1", quota: int | None = None, faults: Faults | None = None,
          log_level: str = "warning") -> None:
    import uvicorn

    state = State(Path(state_dir), faults=faults or Faults())
    if quota is not None:
        state.quota = quota
    uvicorn.run(build_app(state), host=host, port=port, log_level=log_level, access_log=False)
