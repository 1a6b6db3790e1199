"""LINE API clients from settings, and the one place that turns LINE's answers into ours.

Each line-bot-sdk v3 module gets its own Configuration (their ApiExceptions are unrelated classes);
the base URL loses any trailing slash (the SDK would request //v2/…); every call has a timeout (the
sync SDK has none by default). LINE's 429s differ only in their message text: a rate limit is
retried, the monthly limit is not (LINE_API_NOTES §2).
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from dashboard.core import config

TIMEOUT = (3.05, 15)  # (connect, read) seconds, on every call
SANDBOX_TOKEN = "sandbox-token"  # the sandbox checks only that a bearer token is present
POOL_CONNECTIONS = 64    # kept connections per client: the send engine's batches in flight, and some


class LineError(Exception):
    """LINE said no (or said nothing). `kind` is what the caller should do about it:
    rate_limit and server and timeout: back off and retry with the same retry key;
    monthly_limit: stop, nothing more can be sent this month; conflict: the retry key was already
    accepted — treat as sent; auth: fix the token; bad_request: fix the request (details say what)."""

    def __init__(self, kind: str, status: int | None, message: str, details: list | None = None,
                 request_id: str | None = None, accepted_request_id: str | None = None):
        super().__init__(f"{kind} ({status}): {message}")
        self.kind, self.status, self.message = kind, status, message
        self.details = details or []
        self.request_id, self.accepted_request_id = request_id, accepted_request_id

    @property
    def retryable(self) -> bool:
        return self.kind in ("rate_limit", "server", "timeout", "network")


def sandbox_url() -> str:
    from dashboard.line import sandbox_owner   # the dashboard's own sandbox when its port was taken (issue 19)

    return sandbox_owner.chosen() or f"http://127.0.0.1:{config.get_int('DASHBOARD_SANDBOX_PORT')}"


def base_url() -> str:
    """LINE's API, or — with no access token — the sandbox. Without a token nothing may leave this
    machine: a LINE_API_BASE_URL that is not on loopback is refused rather than used."""
    from urllib.parse import urlparse

    if not config.is_set("LINE_API_BASE_URL"):
        return sandbox_url() if config.is_sandbox() else "https://api.line.me"
    url = config.get("LINE_API_BASE_URL").rstrip("/")
    if config.is_sandbox() and urlparse(url).hostname not in ("127.0.0.1", "localhost", "::1"):
        raise LineError("auth", None, f"LINE_API_BASE_URL is {url} but no LINE_CHANNEL_ACCESS_TOKEN is set: "
                                      "without a token only a sandbox on loopback is used (nothing leaves this machine)")
    return url


def token() -> str:
    return config.get("LINE_CHANNEL_ACCESS_TOKEN") or SANDBOX_TOKEN


def classify(exc: Exception) -> LineError:
    """Any exception from an SDK call as a LineError."""
    if isinstance(exc, LineError):
        return exc
    status = getattr(exc, "status", None)
    headers = getattr(exc, "headers", None) or {}
    body = getattr(exc, "body", None)
    message, details = str(exc), []
    if body:
        try:
            parsed = json.loads(body)
            message = parsed.get("message", message)
            details = parsed.get("details", []) or []
        except (TypeError, ValueError):
            message = str(body)[:300]
    get = (lambda k: headers.get(k)) if hasattr(headers, "get") else (lambda k: None)  # noqa: E731
    request_id, accepted = get("x-line-request-id"), get("x-line-accepted-request-id")
    if not status:  # None, or the SDK's 0 for TLS and connection failures: never answered
        name = type(exc).__name__.lower()
        text = str(exc).lower()
        if "timeout" in name or "timed out" in text or "timeout" in text:
            return LineError("timeout", None, str(exc))
        return LineError("network", None, message)
    if status == 409:
        return LineError("conflict", status, message, details, request_id, accepted)
    if status == 429:
        kind = "monthly_limit" if "monthly limit" in message.lower() else "rate_limit"
        return LineError(kind, status, message, details, request_id)
    if status in (401, 403):
        return LineError("auth", status, message, details, request_id)
    if status >= 500:
        return LineError("server", status, message, details, request_id)
    return LineError("bad_request", status, message, details, request_id)


@dataclass
class Clients:
    messaging: object
    insight: object
    audience: object
    sandbox: bool

    def close(self) -> None:
        for api in (self.messaging, self.insight, self.audience):
            try:
                api.api_client.close()
            except Exception:  # closing is best effort
                pass


def clients(url: str | None = None, access_token: str | None = None) -> Clients:
    """Messaging, insight and audience clients, each with its own Configuration."""
    from linebot.v3 import audience as audience_mod
    from linebot.v3 import insight as insight_mod
    from linebot.v3 import messaging as messaging_mod

    host = (url or base_url()).rstrip("/")
    secret = token() if access_token is None else access_token

    def build(module, api_class):
        configuration = module.Configuration(host=host, access_token=secret)
        # the send engine keeps up to sending.IN_FLIGHT requests on the wire: one connection each,
        # kept (urllib3 discards connections above the pool's size and opens new ones every call)
        configuration.connection_pool_maxsize = POOL_CONNECTIONS
        return api_class(module.ApiClient(configuration))

    return Clients(messaging=build(messaging_mod, messaging_mod.MessagingApi),
                   insight=build(insight_mod, insight_mod.Insight),
                   audience=build(audience_mod, audience_mod.ManageAudience),
                   sandbox=config.is_sandbox() if access_token is None else False)


def _call(fn, *args, **kwargs):
    try:
        return fn(*args, _request_timeout=TIMEOUT, **kwargs)
    except Exception as exc:  # every SDK, urllib3 and pydantic failure becomes a LineError
        if type(exc).__name__ == "ValidationError":
            raise LineError("bad_request", None, f"rejected before sending: {exc}") from exc
        raise classify(exc) from exc


def _model(model_class, body: dict):
    """An SDK request model; pydantic's refusal (over 500 recipients, over 5 messages) as ours."""
    try:
        return model_class.from_dict(body)
    except Exception as exc:
        raise LineError("bad_request", None, f"rejected before sending: {exc}".replace("\n", " ")) from exc


def multicast(c: Clients, to: list[str], messages: list[dict], retry_key: str, unit: str | None = None) -> str:
    """Send one batch; returns LINE's request id (or the accepted one, for a repeated retry key)."""
    from linebot.v3.messaging import MulticastRequest

    body = {"to": to, "messages": messages, "notificationDisabled": False}
    if unit:
        body["customAggregationUnits"] = [unit]
    try:
        response = _call(c.messaging.multicast_with_http_info, _model(MulticastRequest, body),
                         x_line_retry_key=retry_key)
    except LineError as err:
        if err.kind == "conflict":
            return err.accepted_request_id or "accepted-earlier"
        raise
    return (response.headers or {}).get("x-line-request-id", "")


def push(c: Clients, to: str, messages: list[dict], retry_key: str) -> str:
    from linebot.v3.messaging import PushMessageRequest

    try:
        response = _call(c.messaging.push_message_with_http_info,
                         _model(PushMessageRequest, {"to": to, "messages": messages}), x_line_retry_key=retry_key)
    except LineError as err:
        if err.kind == "conflict":
            return err.accepted_request_id or "accepted-earlier"
        raise
    return (response.headers or {}).get("x-line-request-id", "")


def reply(c: Clients, reply_token: str, messages: list[dict]) -> str:
    """Answer an event by its reply token: free (no quota), single use, valid for one minute. LINE
    takes no retry key here; a used or expired token is a 400 "Invalid reply token"."""
    from linebot.v3.messaging import ReplyMessageRequest

    response = _call(c.messaging.reply_message_with_http_info,
                     _model(ReplyMessageRequest, {"replyToken": reply_token, "messages": messages}))
    return (response.headers or {}).get("x-line-request-id", "")


def validate_multicast(c: Clients, messages: list[dict]) -> None:
    """LINE's own check of the message objects (raises LineError bad_request with details)."""
    from linebot.v3.messaging import ValidateMessageRequest

    _call(c.messaging.validate_multicast, _model(ValidateMessageRequest, {"messages": messages}))


def quota(c: Clients) -> dict:
    """{"limit": messages this month or None when unlimited, "used": consumed so far}."""
    q = _call(c.messaging.get_message_quota)
    used = _call(c.messaging.get_message_quota_consumption)
    limit = q.value if getattr(q, "type", "limited") == "limited" else None
    return {"limit": limit, "used": used.total_usage}


# ---- reads for sync (dashboard/intake/sync.py) ------------------------------------------------------
# These return LINE's JSON as plain dicts rather than the SDK's models: LINE adds fields and enum
# values without notice (an insight `status` the SDK does not know would make its strict models
# refuse the whole answer), and sync stores only a few numbers anyway. Errors are LineErrors, as
# everywhere; a 404 keeps its status, so the caller can tell "no such user" from a failure.

def line_date(day) -> str:
    """yyyyMMdd, the form of every date parameter of LINE's insight API (days in UTC+9)."""
    return day.strftime("%Y%m%d")


def _json(fn, *args, **kwargs) -> dict:
    response = _call(fn, *args, _preload_content=False, **kwargs)
    raw = response.raw_data or b"{}"
    try:
        body = json.loads(raw)
    except (TypeError, ValueError):
        raise LineError("server", response.status_code, f"LINE answered with something that is not JSON: {raw[:200]!r}") from None
    if not isinstance(body, dict):
        raise LineError("server", response.status_code, "LINE answered with JSON that is not an object")
    return body


def follower_ids(c: Clients, start: str | None = None, limit: int = 1000) -> tuple[list[str], str | None]:
    """One page of GET /v2/bot/followers/ids: (user ids, continuation token or None on the last page).
    Verified and premium accounts only: others get 403 (LineError kind auth, status 403)."""
    kwargs = {"limit": limit} | ({"start": start} if start else {})
    body = _json(c.messaging.get_followers_with_http_info, **kwargs)
    return list(body.get("userIds") or []), body.get("next") or None


def profile(c: Clients, user_id: str) -> dict:
    """GET /v2/bot/profile/{userId}: displayName, userId, pictureUrl?, statusMessage?, language?.
    404 (LineError status 404) when the user blocked the account, is no friend or did not consent."""
    return _json(c.messaging.get_profile_with_http_info, user_id)


def insight_followers(c: Clients, day) -> dict:
    """GET /v2/bot/insight/followers?date=: status (ready, unready, out_of_service), followers,
    targetedReaches, blocks — the numbers only when ready."""
    return _json(c.insight.get_number_of_followers_with_http_info, var_date=line_date(day))


def insight_message_delivery(c: Clients, day) -> dict:
    """GET /v2/bot/insight/message/delivery?date=: status and messages sent that day by kind
    (broadcast, targeting, autoResponse, welcomeResponse, chat, apiBroadcast, apiPush, …)."""
    return _json(c.insight.get_number_of_message_deliveries_with_http_info, line_date(day))


def unit_statistics(c: Clients, unit: str, first_day, last_day) -> dict:
    """GET /v2/bot/insight/message/event/aggregation: a push/multicast unit's overview, messages[]
    and clicks[] over at most 30 days (LINE's limit on the period)."""
    return _json(c.insight.get_statistics_per_unit_with_http_info, unit, line_date(first_day), line_date(last_day))


def message_event(c: Clients, request_id: str) -> dict:
    """GET /v2/bot/insight/message/event?requestId=: statistics of a narrowcast or broadcast."""
    return _json(c.insight.get_message_event_with_http_info, request_id)


def message_quota(c: Clients) -> dict:
    """GET /v2/bot/message/quota: {"type": "none" | "limited", "value"?: messages this month}."""
    return _json(c.messaging.get_message_quota_with_http_info)


def quota_consumption(c: Clients) -> dict:
    """GET /v2/bot/message/quota/consumption: {"totalUsage": messages sent this month (approximate)}."""
    return _json(c.messaging.get_message_quota_consumption_with_http_info)
