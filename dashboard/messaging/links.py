"""Tracked links in composed messages: the only honest per-user "opened" signal LINE allows.

When DASHBOARD_PUBLIC_BASE_URL and DASHBOARD_LINK_SECRET are set, every http(s) link in a message
(URLs in text, `uri` actions of buttons, images and Flex) is rewritten at send time to
`<public base>/r/<token>`, where the signed token carries the delivery, the recipient and the
target. The receiver spools a link_click and redirects (receiver.py).

A multicast sends one body to up to 500 people, so a link in it cannot name its recipient. Two
modes, chosen per send and shown on the compose page:
  per_user      up to DASHBOARD_TRACK_PER_USER_MAX recipients: one request per recipient (batches
                of 1), so each click names its friend. Same messages billed, more API requests.
  per_delivery  above that: one link per delivery (user empty): clicks per delivery, not per friend.
The stored delivery keeps the original messages; rewriting is deterministic (same token for the
same delivery, user and URL), so a retried request carries the same body.
"""
from __future__ import annotations

import copy
import re

from dashboard.core import config
from dashboard.intake import receiver

URL_IN_TEXT = re.compile(r"https?://[^\s<>\"'「」）)]+")


def enabled() -> bool:
    return bool(config.get("DASHBOARD_PUBLIC_BASE_URL") and config.get("DASHBOARD_LINK_SECRET"))


def has_links(messages: list[dict]) -> bool:
    return bool(_urls(messages))


def _urls(messages: list[dict]) -> list[str]:
    found = [u for m in messages if isinstance(m, dict) and m.get("type") == "text" and isinstance(m.get("text"), str)
             for u in URL_IN_TEXT.findall(m["text"])]
    return found + _actions(messages)


def _actions(node) -> list[str]:
    """URLs of `uri` actions anywhere (buttons, image maps, Flex)."""
    found = []
    if isinstance(node, dict):
        if node.get("type") == "uri" and isinstance(node.get("uri"), str):
            found.append(node["uri"])
        for value in node.values():
            found += _actions(value)
    elif isinstance(node, list):
        for value in node:
            found += _actions(value)
    return [u for u in found if u.startswith(("http://", "https://"))]


def mode(messages: list[dict], recipients: int) -> str | None:
    """None (nothing to track), 'per_user' or 'per_delivery'."""
    if not enabled() or not has_links(messages):
        return None
    return "per_user" if recipients <= config.get_int("DASHBOARD_TRACK_PER_USER_MAX") else "per_delivery"


def rewrite(messages: list[dict], delivery_id: str, user_id: str = "") -> list[dict]:
    """The messages with every http(s) link replaced by a tracked link (originals untouched)."""
    base = (config.get("DASHBOARD_PUBLIC_BASE_URL") or "").rstrip("/")
    secret = config.get("DASHBOARD_LINK_SECRET") or ""

    def tracked(url: str) -> str:
        if url.startswith(base + "/r/"):
            return url
        try:
            return f"{base}/r/{receiver.link_token(secret, delivery_id, user_id, url)}"
        except ValueError:
            return url

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "uri" and isinstance(node.get("uri"), str):
                node["uri"] = tracked(node["uri"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        return node

    rewritten = walk(copy.deepcopy(messages))
    for message in rewritten:  # URLs typed in a text message (LINE makes them tappable); not Flex text
        if isinstance(message, dict) and message.get("type") == "text" and isinstance(message.get("text"), str):
            message["text"] = URL_IN_TEXT.sub(lambda m: tracked(m.group(0)), message["text"])
    return rewritten
