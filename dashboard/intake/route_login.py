"""Route attribution by LINE Login, for the receiver's route links (/f/<route>).

When a LINE Login channel is configured, a route link does not send the visitor straight to the
add-friend URL: it sends them through LINE Login (with `bot_prompt=aggressive`, LINE offers to add
the account right after the log-in), learns their LINE user ID from the ID token, spools a
`route_login` record, and only then redirects to the add-friend URL. The loader turns that record
into route_attributions, so the follow that follows carries the route exactly.

The `state` parameter is the route signed with the link secret plus a random nonce, so a callback
cannot be forged to attribute someone to a route. The ID token is verified (HS256 with the
channel secret, as LINE signs web log-ins; issuer, audience, expiry).
"""
from __future__ import annotations

import json
import secrets
import time
import urllib.parse
import urllib.request

from dashboard.core import signing

ISSUER = "https://access.line.me"


def make_state(secret: str, route: str) -> str:
    """The route and a nonce, signed with the LINE Login state key derived from the secret: a
    tracked-link token can never pass as a state, nor a state as a link (dashboard/core/signing.py)."""
    return signing.sign(secret, "line_login_state", f"{route}.{secrets.token_urlsafe(12)}", 16)


def read_state(secret: str, state: str) -> str | None:
    """The route a state was made for, or None when it was not made by us."""
    body = signing.verify(secret, "line_login_state", state, 16)
    return None if body is None else body.rsplit(".", 1)[0]


def authorize_url(authorize: str, channel_id: str, redirect_uri: str, state: str) -> str:
    query = urllib.parse.urlencode({"response_type": "code", "client_id": channel_id, "redirect_uri": redirect_uri,
                                    "state": state, "scope": "openid", "bot_prompt": "aggressive"})
    return f"{authorize}?{query}"


def exchange_code(api_base: str, channel_id: str, channel_secret: str, code: str, redirect_uri: str) -> str:
    """The LINE user ID behind an authorization code (blocking: run it in a thread)."""
    form = urllib.parse.urlencode({"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
                                   "client_id": channel_id, "client_secret": channel_secret}).encode()
    request = urllib.request.Request(api_base.rstrip("/") + "/oauth2/v2.1/token", data=form, method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(request, timeout=10) as response:
        answer = json.loads(response.read())
    return verify_id_token(answer["id_token"], channel_id, channel_secret)


def verify_id_token(token: str, channel_id: str, channel_secret: str) -> str:
    """The `sub` (LINE user ID) of a valid ID token; ValueError otherwise."""
    claims = signing.jwt_hs256_claims(token, channel_secret)
    if claims.get("iss") != ISSUER or claims.get("aud") != channel_id:
        raise ValueError("the ID token was not issued by LINE for this channel")
    if not isinstance(claims.get("exp"), int) or claims["exp"] < time.time():
        raise ValueError("the ID token has expired")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub.startswith("U") or len(sub) > 64:
        raise ValueError("the ID token names no LINE user")
    return sub
