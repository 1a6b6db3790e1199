"""LINE message objects: the limits LINE enforces, checked before anything is sent.

Used by the compose page and `send` (refuse before sending, naming the limit) and by the sandbox
(answer 400 with LINE-style details, as LINE does). Limits from the Messaging API reference
(message objects); the sandbox and the product must agree, so both use this one module.
"""
from __future__ import annotations

import json
from urllib.parse import urlparse

MAX_MESSAGES = 5
MAX_MULTICAST_RECIPIENTS = 500
TEXT_MAX = 5000
URL_MAX = 2000
ALT_TEXT_MAX = 400
BUTTONS_TEXT_MAX = 160
BUTTONS_TEXT_WITH_TITLE_MAX = 60
BUTTONS_TITLE_MAX = 40
BUTTONS_ACTIONS_MAX = 4
ACTION_LABEL_MAX = 20
ACTION_URI_MAX = 1000
FLEX_BUBBLE_BYTES = 30 * 1024
FLEX_CAROUSEL_BYTES = 50 * 1024
FLEX_CAROUSEL_BUBBLES = 12


class Problem(dict):
    """One LINE-style detail: {"message": …, "property": "messages[0].text"}."""

    def __init__(self, prop: str, message: str):
        super().__init__(message=message, property=prop)


def _https(url, prop: str, out: list) -> None:
    if not isinstance(url, str) or not url:
        out.append(Problem(prop, "must be specified"))
        return
    if len(url) > URL_MAX:
        out.append(Problem(prop, f"Length must be between 0 and {URL_MAX}"))
    if urlparse(url).scheme != "https" or not urlparse(url).netloc:
        out.append(Problem(prop, "Must be a valid HTTPS URL"))


def _length(value, prop: str, low: int, high: int, out: list) -> None:
    if not isinstance(value, str):
        out.append(Problem(prop, "must be specified"))
    elif not low <= len(value) <= high:
        out.append(Problem(prop, f"Length must be between {low} and {high}"))


def _action(action, prop: str, out: list) -> None:
    if not isinstance(action, dict):
        out.append(Problem(prop, "must be an action object"))
        return
    _length(action.get("label"), f"{prop}.label", 1, ACTION_LABEL_MAX, out)
    kind = action.get("type")
    if kind == "uri":
        uri = action.get("uri")
        _length(uri, f"{prop}.uri", 1, ACTION_URI_MAX, out)
        if isinstance(uri, str) and urlparse(uri).scheme not in ("http", "https", "line", "tel"):
            out.append(Problem(f"{prop}.uri", "Must be http, https, line or tel"))
    elif kind == "message":
        _length(action.get("text"), f"{prop}.text", 1, 300, out)
    elif kind == "postback":
        _length(action.get("data"), f"{prop}.data", 1, 300, out)
    else:
        out.append(Problem(f"{prop}.type", "must be one of uri, message, postback"))


def check_message(message, prop: str = "messages[0]") -> list[Problem]:
    out: list[Problem] = []
    if not isinstance(message, dict):
        return [Problem(prop, "must be a message object")]
    kind = message.get("type")
    if kind == "text":
        _length(message.get("text"), f"{prop}.text", 1, TEXT_MAX, out)
    elif kind == "image":
        _https(message.get("originalContentUrl"), f"{prop}.originalContentUrl", out)
        _https(message.get("previewImageUrl"), f"{prop}.previewImageUrl", out)
    elif kind == "template":
        _length(message.get("altText"), f"{prop}.altText", 1, ALT_TEXT_MAX, out)
        template = message.get("template")
        if not isinstance(template, dict) or template.get("type") != "buttons":
            out.append(Problem(f"{prop}.template.type", "only buttons templates are supported"))
        else:
            titled = bool(template.get("title") or template.get("thumbnailImageUrl"))
            limit = BUTTONS_TEXT_WITH_TITLE_MAX if titled else BUTTONS_TEXT_MAX
            _length(template.get("text"), f"{prop}.template.text", 1, limit, out)
            if template.get("title") is not None:
                _length(template.get("title"), f"{prop}.template.title", 1, BUTTONS_TITLE_MAX, out)
            if template.get("thumbnailImageUrl") is not None:
                _https(template.get("thumbnailImageUrl"), f"{prop}.template.thumbnailImageUrl", out)
            actions = template.get("actions")
            if not isinstance(actions, list) or not 1 <= len(actions) <= BUTTONS_ACTIONS_MAX:
                out.append(Problem(f"{prop}.template.actions", f"Size must be between 1 and {BUTTONS_ACTIONS_MAX}"))
            else:
                for i, action in enumerate(actions):
                    _action(action, f"{prop}.template.actions[{i}]", out)
    elif kind == "flex":
        _length(message.get("altText"), f"{prop}.altText", 1, ALT_TEXT_MAX, out)
        contents = message.get("contents")
        if not isinstance(contents, dict) or contents.get("type") not in ("bubble", "carousel"):
            out.append(Problem(f"{prop}.contents.type", "must be bubble or carousel"))
        else:
            size = len(json.dumps(contents, ensure_ascii=False).encode("utf-8"))
            limit = FLEX_BUBBLE_BYTES if contents["type"] == "bubble" else FLEX_CAROUSEL_BYTES
            if size > limit:
                out.append(Problem(f"{prop}.contents", f"Size must be at most {limit // 1024} KB, got {size / 1024:.1f} KB"))
            if contents["type"] == "carousel":
                bubbles = contents.get("contents")
                if not isinstance(bubbles, list) or not 1 <= len(bubbles) <= FLEX_CAROUSEL_BUBBLES:
                    out.append(Problem(f"{prop}.contents.contents", f"Size must be between 1 and {FLEX_CAROUSEL_BUBBLES}"))
    else:
        out.append(Problem(f"{prop}.type", "must be one of text, image, template, flex"))
    return out


def check_messages(messages) -> list[Problem]:
    """All problems of a request's `messages` array, LINE-style."""
    if not isinstance(messages, list) or not 1 <= len(messages) <= MAX_MESSAGES:
        return [Problem("messages", f"Size must be between 1 and {MAX_MESSAGES}")]
    out: list[Problem] = []
    for i, message in enumerate(messages):
        out.extend(check_message(message, f"messages[{i}]"))
    return out


def describe(problems: list[Problem]) -> str:
    return "; ".join(f"{p['property']}: {p['message']}" for p in problems)
