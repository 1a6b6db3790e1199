"""Server routes for local log-in, mounted on st.App (app.py): the form, log-in, log-out, and a
middleware that slides the session cookie forward.

Why routes and not a Streamlit page: a script cannot set cookies (st.context is read-only), and a
session kept only in st.session_state ends on every browser refresh. These routes set a signed,
HttpOnly cookie (dashboard/access/sessions.py) that pages read through st.context.cookies.

Paths are /account/…, not /auth/…: Streamlit serves st.login's own /auth/login and /auth/logout,
and st.App puts user routes first, so ours would silently shadow OIDC log-in.

CSRF: a form post must come from this site — its Origin (or, without one, its Referer) must name
the Host the request was sent to (or the X-Forwarded-Host a proxy set). A cross-site page cannot
make a browser send matching headers. The cookie is SameSite=Lax as a second line.

Sliding sessions: the idle timeout counts from the last activity. SessionRefreshMiddleware
re-issues the cookie on any GET older than sessions.REFRESH_AFTER (page loads, assets); activity over
the page's websocket is noted by web/context.user() (sessions.resolve) and counted in the same process.
"""
from __future__ import annotations

import datetime as dt
import html
import http.cookies
import logging
import threading
from contextlib import contextmanager
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from dashboard.core import audit, config, queries, storage
from dashboard.access import logins, passwords, roles, sessions

queries.require("auth/revoke_session", "auth/revoked_sessions")

LOG = logging.getLogger(__name__)
LOGIN_PATH = "/account/login"
LOGOUT_PATH = "/account/logout"
HOME = "/"
MAX_FIELD = 1024

# ---- the process's database connection ----------------------------------------------------------
# The dashboard process owns the DuckDB file; a second storage.connect() of the same file in the
# same process shares the instance the pages and the worker use (DESIGN §4). One connection per
# file, a cursor per request (a connection is not thread-safe).

_connections: dict[str, object] = {}
_connections_lock = threading.Lock()


def server_connection():
    path = str(config.db_path())
    with _connections_lock:
        if path not in _connections:
            _connections[path] = storage.connect(path)
        return _connections[path]


@contextmanager
def server_cursor():
    cur = server_connection().cursor()
    try:
        yield cur
    finally:
        cur.close()


class DatabaseRevocations(sessions.RevocationStore):
    """Log-outs kept in session_revocations: read once per process (then kept in memory, this
    process being the database's one writer) and written at each log-out."""

    def __init__(self):
        self._ids: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def _loaded(self) -> set[str]:
        path = str(config.db_path())
        with self._lock:
            if path not in self._ids:
                with server_cursor() as cur:
                    now = dt.datetime.now(dt.timezone.utc)
                    found = queries.run(cur, "auth/revoked_sessions", now=now)["session_id"]
                self._ids[path] = set(found)
            return self._ids[path]

    def revoked(self, sid: str) -> bool:
        try:
            return sid in self._loaded()
        except storage.StorageError:   # the database cannot be read: refuse the session (fail closed)
            LOG.warning("session revocations could not be read; refusing the session")
            return True

    def revoke(self, sid: str, revoked_at: dt.datetime, expires_at: dt.datetime) -> None:
        with server_cursor() as cur:
            queries.run(cur, "auth/revoke_session", session_id=sid, revoked_at=revoked_at, expires_at=expires_at)
        self._loaded().add(sid)

    def forget_cache(self) -> None:
        """What a restart does: the next check reads the database again."""
        with self._lock:
            self._ids.clear()


REVOCATIONS = DatabaseRevocations()


# ---- pages --------------------------------------------------------------------------------------

_STYLE = """
body{font-family:system-ui,-apple-system,"Hiragino Sans","Noto Sans JP",sans-serif;background:#f5f6f7;
margin:0;display:flex;min-height:100vh;align-items:center;justify-content:center;color:#1f2328}
main{background:#fff;border-radius:12px;box-shadow:0 2px 12px rgba(0,0,0,.08);padding:32px;width:340px}
h1{font-size:20px;margin:0 0 4px}p.sub{color:#57606a;margin:0 0 20px;font-size:13px}
label{display:block;font-size:13px;margin:12px 0 4px}
input{width:100%;box-sizing:border-box;padding:10px;border:1px solid #d0d7de;border-radius:8px;font-size:15px}
button{margin-top:20px;width:100%;padding:11px;border:0;border-radius:8px;background:#06C755;color:#fff;
font-size:15px;font-weight:600;cursor:pointer}
.msg{background:#fff1f0;border:1px solid #ffccc7;border-radius:8px;padding:10px;font-size:13px;margin-bottom:8px}
.info{background:#f0f7ff;border-color:#c8e1ff}a{color:#0969da;font-size:13px}
"""

_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
}


def _page(title: str, body: str, status: int) -> HTMLResponse:
    text = (f'<!doctype html><html lang="ja"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1">'
            f'<title>{html.escape(title)}</title><style>{_STYLE}</style></head>'
            f'<body><main>{body}</main></body></html>')
    return HTMLResponse(text, status_code=status, headers=_HEADERS)


def _message(text: str | None, info: bool = False) -> str:
    return f'<div class="msg{" info" if info else ""}" role="alert">{html.escape(text)}</div>' if text else ""


def login_form(message: str | None = None, name: str = "", status: int = 200, show_form: bool = True) -> HTMLResponse:
    form = (f'<form method="post" action="{LOGIN_PATH}">'
            f'<label for="name">ユーザー名 / User name</label>'
            f'<input id="name" name="name" autocomplete="username" required maxlength="64" '
            f'value="{html.escape(name)}" {"" if name else "autofocus"}>'
            f'<label for="password">パスワード / Password</label>'
            f'<input id="password" name="password" type="password" autocomplete="current-password" required '
            f'{"autofocus" if name else ""}>'
            f'<button type="submit">ログイン / Log in</button></form>') if show_form else ""
    body = (f'<h1>ログイン / Log in</h1><p class="sub">LINE公式アカウント ダッシュボード<br>'
            f'LINE Official Account dashboard</p>{_message(message)}{form}')
    return _page("ログイン / Log in", body, status)


def _logout_form(status: int = 200) -> HTMLResponse:
    body = (f'<h1>ログアウト / Log out</h1>'
            f'<form method="post" action="{LOGOUT_PATH}"><button type="submit">ログアウト / Log out</button></form>'
            f'<p><a href="{HOME}">ダッシュボードに戻る / Back to the dashboard</a></p>')
    return _page("ログアウト / Log out", body, status)


# ---- helpers ------------------------------------------------------------------------------------

def same_origin(request: Request) -> bool:
    """The post came from a page of this site (Origin, else Referer, names our host)."""
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source or source == "null":
        return False
    host = urlsplit(source).netloc.lower()
    ours = {request.headers.get("host", "").lower(),
            request.headers.get("x-forwarded-host", "").split(",")[0].strip().lower()}
    return bool(host) and host in ours


def is_https(scheme: str, headers) -> bool:
    # X-Forwarded-Proto is honoured even from an untrusted client: it can only add Secure to its own cookie
    return scheme == "https" or (headers.get("x-forwarded-proto") or "").split(",")[0].strip() == "https"


def _set_session_cookie(response: Response, value: str, secure: bool) -> None:
    # no Max-Age: the browser keeps it until it closes; the server enforces the idle timeout
    response.set_cookie(sessions.COOKIE_NAME, value, path="/", secure=secure, httponly=True, samesite="lax")


def _cookie_header(value: str, secure: bool) -> str:
    cookie = http.cookies.SimpleCookie()
    cookie[sessions.COOKIE_NAME] = value
    cookie[sessions.COOKIE_NAME]["path"] = "/"
    cookie[sessions.COOKIE_NAME]["httponly"] = True
    cookie[sessions.COOKIE_NAME]["samesite"] = "lax"
    if secure:
        cookie[sessions.COOKIE_NAME]["secure"] = True
    return cookie.output(header="").strip()


_FORBIDDEN = ("このページから送信されたことを確認できません。ログインページを開き直してください / "
              "could not confirm this came from the log-in page: open it again")


# ---- routes -------------------------------------------------------------------------------------

def _login_available() -> str | None:
    """Why local log-in cannot be used now, or None. Names settings, never their values."""
    try:
        users = passwords.local_users()
    except roles.AuthConfigError as err:
        return f"ログイン設定に誤りがあります / log-in is misconfigured: {err}"
    if not users:
        return ("ローカルアカウントが設定されていません（README の「ログイン」を参照） / "
                "no local accounts are configured (see the README, log-in)")
    if not sessions.cookie_secret_ok():
        return ("DASHBOARD_COOKIE_SECRET が未設定か短すぎます（16文字以上） / "
                "DASHBOARD_COOKIE_SECRET is missing or shorter than 16 characters")
    return None


async def login_page(request: Request) -> Response:
    problem = _login_available()
    return login_form(problem, status=503 if problem else 200, show_form=problem is None)


def _check(name: str, password: str, client: str | None) -> logins.LoginResult:
    with server_cursor() as cur:
        return logins.check_login(cur, name, password, client)


async def login_submit(request: Request) -> Response:
    if not same_origin(request):
        return login_form(_FORBIDDEN, status=403)
    problem = _login_available()
    if problem:
        return login_form(problem, status=503, show_form=False)
    form = await request.form()
    name = str(form.get("name") or "")[:MAX_FIELD]
    password = str(form.get("password") or "")[:MAX_FIELD]
    client = request.client.host if request.client else None
    try:
        result = await run_in_threadpool(_check, name, password, client)   # scrypt and DuckDB: off the event loop
    except storage.StorageError as err:   # e.g. a command holds the file; the path stays in the log
        LOG.warning("log-in check failed: %s", err)
        return login_form("データベースを開けません。管理者に連絡してください / the database cannot be opened: "
                          "tell an administrator", name=name[:64], status=503)
    if not result.ok:
        return login_form(result.message, name=name.strip()[:64], status=429 if result.rate_limited else 401)
    response = RedirectResponse(HOME, status_code=303)
    _set_session_cookie(response, sessions.make_session_cookie(result.user.name, result.user.role),
                        is_https(request.url.scheme, request.headers))
    return response


async def logout_page(request: Request) -> Response:
    # a GET only shows a button: log-out changes state, so it is a POST (st.link_button can point here)
    return _logout_form()


def _record_logout(session: sessions.Session, client: str | None) -> None:
    with server_cursor() as cur:
        audit.record(cur, session.name, "logout", f"user:{session.name}", {"method": "local", "client": client})


async def logout_submit(request: Request) -> Response:
    if not same_origin(request):
        return _page("ログアウト / Log out", _message(_FORBIDDEN), 403)
    session = sessions.session_from_cookie(request.cookies.get(sessions.COOKIE_NAME))
    if session is not None:
        # a copy of the cookie stops working, in this process and after a restart (session_revocations)
        await run_in_threadpool(sessions.end_session, session)
        await run_in_threadpool(_record_logout, session, request.client.host if request.client else None)
    response = RedirectResponse(LOGIN_PATH, status_code=303)
    response.delete_cookie(sessions.COOKIE_NAME, path="/", secure=is_https(request.url.scheme, request.headers),
                           httponly=True, samesite="lax")
    return response


class SessionRefreshMiddleware:
    """Re-issues the session cookie (last seen = now) on GET requests whose cookie is older than
    sessions.REFRESH_AFTER, so an active user's session slides forward. Plain ASGI: responses stream
    through untouched apart from one added Set-Cookie header."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        value = request.cookies.get(sessions.COOKIE_NAME)
        fresh = sessions.refreshed_cookie(value, dt.datetime.now(dt.timezone.utc)) if value else None
        if fresh is None:
            await self.app(scope, receive, send)
            return
        header = _cookie_header(fresh, is_https(scope.get("scheme", "http"), request.headers))

        async def send_with_cookie(message):
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if not any(v.startswith(sessions.COOKIE_NAME + "=") for v in headers.getlist("set-cookie")):
                    headers.append("set-cookie", header)
            await send(message)

        await self.app(scope, receive, send_with_cookie)


# 'self' rather than 'none': Streamlit frames its own components (same origin); no other site can
FRAME_HEADERS = ((b"x-frame-options", b"SAMEORIGIN"), (b"content-security-policy", b"frame-ancestors 'self'"))
METRICS_PATH = "/_stcore/metrics"


def _may_see_metrics(scope) -> bool:
    """Streamlit's /_stcore/metrics (sessions, memory) only for a logged-in admin with a local account,
    or the single local user; never anonymous. (An OIDC session cannot be checked on this route.)"""
    request = Request(scope)
    session = sessions.session_from_cookie(request.cookies.get(sessions.COOKIE_NAME)) if config.section("users") else None
    if session is not None:
        return roles.allowed(session.role, "settings")
    client = request.client.host if request.client else None
    headers = {k.lower() for k in request.headers.keys()}
    import streamlit as st

    status = sessions.resolve(oidc={}, cookie=None, server_address=st.get_option("server.address"),
                          client_is_local=sessions.is_loopback(client) and not headers & set(sessions.FORWARDING_HEADERS))
    return status.user is not None and status.user.may("settings")


class SecurityHeadersMiddleware:
    """Every response of the server (Streamlit's pages too) refuses to be framed — no clickjacking of
    a send button — and /_stcore/metrics is closed to anyone not logged in as an admin."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope.get("path", "").rstrip("/") == METRICS_PATH and not _may_see_metrics(scope):
            await PlainTextResponse("log in as an admin to see metrics", status_code=403)(scope, receive, send)
            return

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in FRAME_HEADERS:
                    if name.decode() not in headers:
                        headers.append(name.decode(), value.decode())
            await send(message)

        await self.app(scope, receive, send_with_headers)


def routes() -> list[Route]:
    sessions.use_revocation_store(REVOCATIONS)   # the server's log-outs are kept in its database
    return [
        Route(LOGIN_PATH, login_page, methods=["GET"]),
        Route(LOGIN_PATH, login_submit, methods=["POST"]),
        Route(LOGOUT_PATH, logout_page, methods=["GET"]),
        Route(LOGOUT_PATH, logout_submit, methods=["POST"]),
    ]


def middleware() -> list[Middleware]:
    return [Middleware(SecurityHeadersMiddleware), Middleware(SessionRefreshMiddleware)]


def build_app() -> Starlette:
    """These routes and the middleware alone (tests serve this; app.py mounts them on st.App)."""
    return Starlette(routes=routes(), middleware=middleware())
