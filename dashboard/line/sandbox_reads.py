"""The sandbox's read endpoints: follower IDs, profiles, insight and unit statistics (LINE_API_NOTES §4).

Shapes follow LINE's OpenAPI files (messaging-api.yml, insight.yml). The numbers are made up but
derived from what the sandbox has seen — its followers and blocks, and the recipients it accepted —
and deterministic, so a test can predict them:

- followers/ids: pages of `limit` (default 300, at most 1000) with a `next` token while more remain;
  blocked users are left out; 403 like an unverified account when `followers_forbidden` is set.
- profile: 404 for blocked users and, once followers are configured, for anyone not among them.
- insight/followers and insight/message/delivery: `out_of_service` before LINE started counting,
  `unready` for future days and the latest `insight_unready_days` days (default 0: today is ready, with
  the counts so far), `ready` otherwise. Followers grow towards today's count (1 % less per day back).
  Delivery counts are the recipients accepted that day (UTC+9) by kind; kinds with none are left out.
- statistics per unit / per request: half the recipients opened, 4 % clicked; under 20 is null, as
  LINE hides it. The unit's period is checked (at most 30 days) but the unit's whole total is counted.
- every insight endpoint allows `insight_per_hour` requests (default 60) per rolling hour, then 429.
"""
from __future__ import annotations

import datetime as dt
import re
import time
from collections import deque

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

JST = dt.timezone(dt.timedelta(hours=9))
FOLLOWERS_COUNTED_SINCE = dt.date(2016, 11, 1)   # earlier days: out_of_service
DELIVERIES_COUNTED_SINCE = dt.date(2018, 3, 31)
NOT_AVAILABLE = "Access to this API is not available for your account"
_UNIT = re.compile(r"^[a-zA-Z0-9_]{1,30}$")
_URL = re.compile(r"https?://[^\s\"'<>]+")


def under_20(n: int) -> int | None:
    """LINE hides aggregate numbers under 20 (privacy): null."""
    return n if n >= 20 else None


def parse_day(text: str | None) -> dt.date | None:
    if not text or not re.fullmatch(r"\d{8}", text):
        return None
    try:
        return dt.datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        return None


def today_jst() -> dt.date:
    return dt.datetime.now(JST).date()


def routes(state, authorised, error, ok) -> list[Route]:
    """The read routes; `authorised`, `error` and `ok` are the sandbox's answer helpers."""

    def rate_limited(path: str) -> Response | None:
        """Insight allows `insight_per_hour` requests per endpoint in any hour (LINE: 60/h)."""
        now = time.monotonic()
        with state.lock:
            window = state.insight_calls.setdefault(path, deque())
            while window and window[0] <= now - 3600:
                window.popleft()
            if len(window) >= state.insight_per_hour:
                return error(429, "The API rate limit has been exceeded. Try again later.")
            window.append(now)
        return None

    def day_status(day: dt.date, counted_since: dt.date) -> str:
        if day < counted_since:
            return "out_of_service"
        if day > today_jst() - dt.timedelta(days=state.insight_unready_days):  # the future, and the latest days
            return "unready"
        return "ready"

    async def follower_ids(request: Request) -> Response:
        if (denied := await authorised(request)) is not None:
            return denied
        if state.followers_forbidden:  # unverified (non-premium) accounts may not list followers
            return error(403, NOT_AVAILABLE)
        params = request.query_params
        try:
            limit = int(params.get("limit", 300))
            start = int(params.get("start") or 0)
        except ValueError:
            return error(400, "The value of the 'limit' or 'start' parameter is invalid")
        if not 1 <= limit <= 1000 or start < 0:
            return error(400, "The value of the 'limit' or 'start' parameter is invalid")
        listed = state.listed_followers()
        body = {"userIds": listed[start:start + limit]}
        if start + limit < len(listed):
            body["next"] = str(start + limit)
        return ok(body)

    async def profile(request: Request) -> Response:
        if (denied := await authorised(request)) is not None:
            return denied
        user_id = request.path_params["user_id"]
        if user_id in state.blocked or (state.followers and user_id not in state.follower_set):
            return error(404, "Not found")
        known = state.profiles.get(user_id, {})
        return ok({"userId": user_id, "displayName": f"友だち {user_id[-4:]}", "language": "ja"} | known)

    async def insight_followers(request: Request) -> Response:
        if (denied := await authorised(request)) is not None:
            return denied
        text = request.query_params.get("date")
        day = parse_day(text) if text else today_jst()
        if day is None:
            return error(400, "The value of the 'date' parameter is invalid (yyyyMMdd)")
        if (limited := rate_limited(request.url.path)) is not None:
            return limited
        status = day_status(day, FOLLOWERS_COUNTED_SINCE)
        if status != "ready":
            return ok({"status": status, "followers": None, "targetedReaches": None, "blocks": None})
        shrink = 1 / (1 + 0.01 * (today_jst() - day).days)
        blocks = round(len(state.blocked) * shrink)
        followers = round((len(state.follower_set) + len(state.blocked)) * shrink)
        return ok({"status": "ready", "followers": followers, "targetedReaches": round(0.8 * (followers - blocks)),
                   "blocks": blocks})

    async def insight_delivery(request: Request) -> Response:
        if (denied := await authorised(request)) is not None:
            return denied
        day = parse_day(request.query_params.get("date"))
        if day is None:
            return error(400, "The value of the 'date' parameter is invalid (yyyyMMdd)")
        if (limited := rate_limited(request.url.path)) is not None:
            return limited
        status = day_status(day, DELIVERIES_COUNTED_SINCE)
        if status != "ready":
            return ok({"status": status})
        counts: dict[str, int] = {}
        for info in list(state.requests.values()):
            if dt.datetime.fromisoformat(info["at"]).astimezone(JST).date() == day:
                counts[info["kind"]] = counts.get(info["kind"], 0) + info["count"]
        fields = {"apiPush": "push", "apiMulticast": "multicast", "apiNarrowcast": "narrowcast",
                  "apiBroadcast": "broadcast"}
        return ok({"status": "ready"} | {name: counts[kind] for name, kind in fields.items() if counts.get(kind)})

    def statistics(count: int, messages: list) -> dict:
        bubbles = max(1, len(messages or []))
        urls = list(dict.fromkeys(_URL.findall(str(messages or []))))
        return {
            "overview": {"uniqueImpression": under_20(int(count * 0.5)), "uniqueClick": under_20(int(count * 0.04)),
                         "uniqueMediaPlayed": None, "uniqueMediaPlayed100Percent": None},
            "messages": [{"seq": seq, "impression": under_20(int(count * 0.65 * 0.9 ** (seq - 1))),
                          "mediaPlayed": None, "mediaPlayed25Percent": None, "mediaPlayed50Percent": None,
                          "mediaPlayed75Percent": None, "mediaPlayed100Percent": None, "uniqueMediaPlayed": None,
                          "uniqueMediaPlayed25Percent": None, "uniqueMediaPlayed50Percent": None,
                          "uniqueMediaPlayed75Percent": None, "uniqueMediaPlayed100Percent": None}
                         for seq in range(1, bubbles + 1)],
            "clicks": [{"seq": 1, "url": url, "click": under_20(int(count * 0.05)),
                        "uniqueClick": under_20(int(count * 0.04)), "uniqueClickOfRequest": under_20(int(count * 0.04))}
                       for url in urls],
        }

    async def unit_stats(request: Request) -> Response:
        if (denied := await authorised(request)) is not None:
            return denied
        params = request.query_params
        unit = params.get("customAggregationUnit", "")
        first, last = parse_day(params.get("from")), parse_day(params.get("to"))
        if not _UNIT.match(unit):
            return error(400, "The value of the 'customAggregationUnit' parameter is invalid")
        if first is None or last is None or last < first or (last - first).days > 30:
            return error(400, "'from' and 'to' must be yyyyMMdd, 'to' not before 'from' and at most 30 days later")
        if (limited := rate_limited(request.url.path)) is not None:
            return limited
        return ok(statistics(state.units.get(unit, 0), state.unit_messages.get(unit, [])))

    async def insight_event(request: Request) -> Response:
        """Statistics of a narrowcast or broadcast."""
        if (denied := await authorised(request)) is not None:
            return denied
        request_id = request.query_params.get("requestId", "")
        if not request_id:
            return error(400, "The value of the 'requestId' parameter is invalid")
        if (limited := rate_limited(request.url.path)) is not None:
            return limited
        info = state.requests.get(request_id)
        if info is None or info["kind"] not in ("narrowcast", "broadcast"):
            return error(404, "Not found")
        body = statistics(info["count"], info.get("messages", []))
        body["overview"] = {"requestId": request_id,
                            "timestamp": int(dt.datetime.fromisoformat(info["at"]).timestamp()),
                            "delivered": info["count"]} | body["overview"]
        return ok(body)

    async def units_info(request: Request) -> Response:
        return await authorised(request) or ok({"numOfCustomAggregationUnits": len(state.units)})

    return [
        Route("/v2/bot/message/aggregation/info", units_info, methods=["GET"]),
        Route("/v2/bot/profile/{user_id}", profile, methods=["GET"]),
        Route("/v2/bot/followers/ids", follower_ids, methods=["GET"]),
        Route("/v2/bot/insight/message/event/aggregation", unit_stats, methods=["GET"]),
        Route("/v2/bot/insight/message/event", insight_event, methods=["GET"]),
        Route("/v2/bot/insight/message/delivery", insight_delivery, methods=["GET"]),
        Route("/v2/bot/insight/followers", insight_followers, methods=["GET"]),
    ]
