"""One signing module for every HMAC token the product makes or reads (issue 12 point 6, issue 13
point 6): tracked links, LINE Login state, session cookies, the HS256 ID tokens of LINE Login
(made by the sandbox, checked by route_login), and LINE's webhook signature (checked by the receiver).

Each purpose signs with its own key derived from the configured secret, HMAC-SHA256(secret,
"dashboard/<purpose>/v1"), so a token made for one purpose never verifies as another even when
one secret is reused (one secret used to sign both tracked links and LINE Login state). The ID
token is LINE's format: HS256 keyed with the channel secret itself, as LINE signs web log-ins.
Comparisons are constant-time; base64url is unpadded.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json

PURPOSES = ("tracked_link", "line_login_state", "session_cookie")


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def derive(secret: str | bytes, purpose: str) -> bytes:
    """The key of one purpose, derived from a configured secret."""
    if purpose not in PURPOSES:
        raise KeyError(f"unknown signing purpose {purpose!r}; declare it in dashboard/core/signing.py")
    raw = secret.encode("utf-8") if isinstance(secret, str) else secret
    return hmac.new(raw, f"dashboard/{purpose}/v1".encode(), hashlib.sha256).digest()


def mac(key: bytes, body: str, length: int = 32) -> str:
    return b64(hmac.new(key, body.encode("utf-8"), hashlib.sha256).digest()[:length])


def sign(secret: str, purpose: str, body: str, length: int = 32) -> str:
    """`body.mac` with the purpose's derived key (body must be URL-safe text)."""
    return f"{body}.{mac(derive(secret, purpose), body, length)}"


def verify(secret: str, purpose: str, token: str, length: int = 32, *, legacy_raw_key: bool = False) -> str | None:
    """The body of a token this purpose signed, or None. `legacy_raw_key` also accepts the MAC made
    with the secret itself (tracked links sent before keys were derived must keep working)."""
    if not isinstance(token, str) or "." not in token:
        return None
    body, _, signature = token.rpartition(".")
    if not body:
        return None
    if hmac.compare_digest(mac(derive(secret, purpose), body, length), signature):
        return body
    if legacy_raw_key and hmac.compare_digest(mac(secret.encode("utf-8"), body, length), signature):
        return body
    return None


def seal(secret: str, purpose: str, payload: dict, length: int = 32) -> str:
    """A signed token carrying a JSON payload: base64url(JSON).mac."""
    body = b64(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    return sign(secret, purpose, body, length)


def unseal(secret: str, purpose: str, token: str, length: int = 32, *, legacy_raw_key: bool = False) -> dict | None:
    """The payload of a sealed token, or None when it is tampered with, foreign or malformed."""
    body = verify(secret, purpose, token, length, legacy_raw_key=legacy_raw_key)
    if body is None:
        return None
    try:
        data = json.loads(unb64(body))
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


# ---- LINE's webhook signature (x-line-signature), LINE's format: standard Base64, the channel secret itself

def line_signature(channel_secret: str, body: bytes) -> str:
    """Base64 of HMAC-SHA256 over the raw body, keyed by the channel secret."""
    return base64.b64encode(hmac.new(channel_secret.encode("utf-8"), body, hashlib.sha256).digest()).decode("ascii")


def line_signature_ok(channel_secret: str, body: bytes, header: str | None) -> bool:
    return bool(header) and hmac.compare_digest(line_signature(channel_secret, body).encode(), header.strip().encode())


# ---- LINE Login ID tokens (JWT, HS256 keyed with the channel secret, as LINE does) ----------------

def jwt_hs256(claims: dict, channel_secret: str) -> str:
    header = b64(json.dumps({"typ": "JWT", "alg": "HS256"}, separators=(",", ":")).encode())
    payload = b64(json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode())
    signature = hmac.new(channel_secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64(signature)}"


def jwt_hs256_claims(token: str, channel_secret: str) -> dict:
    """The claims of an HS256 JWT signed with the channel secret; ValueError otherwise."""
    try:
        header, payload, signature = token.split(".")
        claims = json.loads(unb64(payload))
        alg = json.loads(unb64(header)).get("alg")
    except (ValueError, AttributeError, UnicodeDecodeError):
        raise ValueError("the ID token is not a JWT") from None
    expected = hmac.new(channel_secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    if alg != "HS256" or not hmac.compare_digest(b64(expected), signature):
        raise ValueError("the ID token's signature does not match the channel secret")
    if not isinstance(claims, dict):
        raise ValueError("the ID token is not a JWT")
    return claims
