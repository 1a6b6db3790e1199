"""The sandbox's LINE Login (v2.1) for route attribution tests: authorize, then exchange the code.

- `GET /oauth2/v2.1/authorize?response_type=code&client_id=&redirect_uri=&state=&scope=[&nonce=]`
  skips LINE's log-in screen: it answers 302 to `redirect_uri?code=<code>&state=<state>` at once. The
  code stands for the user set by POST /sandbox/config {"login_user_id": "U…"} (default
  LOGIN_USER_ID), is valid for 10 minutes and only once, like LINE's.
- `POST /oauth2/v2.1/token` (form: grant_type=authorization_code, code, redirect_uri, client_id,
  client_secret) answers like LINE: access_token, expires_in, id_token, refresh_token, scope,
  token_type. The id_token is a JWT signed HS256 with the client secret (as LINE signs web log-ins):
  iss https://access.line.me, sub = the user id, aud = the client id, iat, exp, amr, name, and
  nonce when one was given. The redirect_uri and client_id must be the ones the code was issued to;
  otherwise 400 with an OAuth error (invalid_grant, invalid_client, invalid_request).
"""
from __future__ import annotations

import hashlib
import secrets
import time
from urllib.parse import parse_qs, urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from dashboard.core import signing

LOGIN_USER_ID = "U" + hashlib.sha256(b"sandbox-login-user").hexdigest()[:32]
CODE_TTL_S = 600          # LINE: an authorization code is valid for 10 minutes
ACCESS_TOKEN_TTL_S = 30 * 24 * 3600


def id_token(claims: dict, secret: str) -> str:
    """A JWT signed HS256 with `secret` (LINE Login signs web log-in ID tokens so)."""
    return signing.jwt_hs256(claims, secret)


def _oauth_error(error: str, description: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


def routes(state) -> list[Route]:
    async def authorize(request: Request) -> Response:
        params = request.query_params
        missing = [p for p in ("response_type", "client_id", "redirect_uri", "state", "scope") if not params.get(p)]
        if missing:
            return _oauth_error("invalid_request", f"missing parameter(s): {', '.join(missing)}")
        if params["response_type"] != "code":
            return _oauth_error("unsupported_response_type", "response_type must be code")
        code = secrets.token_urlsafe(16)
        with state.lock:
            state.login_codes[code] = {"user_id": state.login_user_id or LOGIN_USER_ID,
                                       "client_id": params["client_id"], "redirect_uri": params["redirect_uri"],
                                       "scope": params["scope"], "nonce": params.get("nonce"),
                                       "expires": time.time() + CODE_TTL_S}
        uri = params["redirect_uri"]
        return RedirectResponse(uri + ("&" if "?" in uri else "?") + urlencode({"code": code, "state": params["state"]}),
                                status_code=302)

    async def token(request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
        if form.get("grant_type") != "authorization_code":
            return _oauth_error("unsupported_grant_type", "grant_type must be authorization_code")
        missing = [p for p in ("code", "redirect_uri", "client_id", "client_secret") if not form.get(p)]
        if missing:
            return _oauth_error("invalid_request", f"missing parameter(s): {', '.join(missing)}")
        with state.lock:
            issued = state.login_codes.pop(form["code"], None)  # single use, even when the rest is wrong
        if issued is None or issued["expires"] < time.time():
            return _oauth_error("invalid_grant", "invalid authorization code")
        if issued["client_id"] != form["client_id"]:
            return _oauth_error("invalid_client", "client_id does not match the authorization request")
        if issued["redirect_uri"] != form["redirect_uri"]:
            return _oauth_error("invalid_grant", "redirect_uri does not match")
        now = int(time.time())
        claims = {"iss": "https://access.line.me", "sub": issued["user_id"], "aud": form["client_id"],
                  "exp": now + 3600, "iat": now, "amr": ["linesso"],
                  "name": state.profiles.get(issued["user_id"], {}).get("displayName", f"友だち {issued['user_id'][-4:]}")}
        if issued["nonce"]:
            claims["nonce"] = issued["nonce"]
        return JSONResponse({"access_token": secrets.token_urlsafe(32), "expires_in": ACCESS_TOKEN_TTL_S,
                             "id_token": id_token(claims, form["client_secret"]),
                             "refresh_token": secrets.token_urlsafe(24), "scope": issued["scope"],
                             "token_type": "Bearer"},
                            headers={"cache-control": "no-store", "pragma": "no-cache"})

    return [
        Route("/oauth2/v2.1/authorize", authorize, methods=["GET"]),
        Route("/oauth2/v2.1/token", token, methods=["POST"]),
    ]
