"""Sessions: the signed local session cookie (through dashboard/core/signing.py), idle and absolute
timeouts, log-outs that outlive a restart, and `resolve()`: who a request is, from what Streamlit
knows (dashboard/web/context.py reads Streamlit and calls it).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import secrets
import threading
from dataclasses import dataclass

from dashboard.core import config, signing
from dashboard.access.oidc import oidc_configured, oidc_role
from dashboard.access.passwords import local_users
from dashboard.access.roles import AuthConfigError, User

# value = signing.seal(payload) with the session-cookie key derived from DASHBOARD_COOKIE_SECRET.
# The payload carries a random session id (two log-ins in one second get distinct cookies), the
# name, the role at log-in, when the session was issued and last seen, and a tag of the user's
# password hash: a new password (or a removed account) ends every session of that user at once.
# A session ends after DASHBOARD_SESSION_MINUTES idle, and DASHBOARD_SESSION_MAX_HOURS after log-in
# whatever the activity (issue 12 point 5). Log-outs are kept in the database (session_revocations,
# through the store auth_routes registers), so a copied cookie stays dead after a restart.

def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


COOKIE_NAME = "dashboard_session"
REFRESH_AFTER = dt.timedelta(minutes=5)   # re-issue the cookie on a request when it is older than this
_MIN_SECRET_LENGTH = 16


@dataclass(frozen=True)
class Session:
    name: str
    role: str
    issued: dt.datetime
    last_seen: dt.datetime
    tag: str
    sid: str = ""


def _cookie_secret() -> str:
    secret = config.get("DASHBOARD_COOKIE_SECRET")
    if not secret:
        raise AuthConfigError("DASHBOARD_COOKIE_SECRET is not set: local log-in needs it to sign sessions")
    if len(secret) < _MIN_SECRET_LENGTH:
        raise AuthConfigError(f"DASHBOARD_COOKIE_SECRET must be at least {_MIN_SECRET_LENGTH} characters")
    return secret


def cookie_secret_ok() -> bool:
    try:
        _cookie_secret()
        return True
    except AuthConfigError:
        return False


def _password_tag(name: str) -> str:
    entry = local_users().get(name)
    return hashlib.sha256(entry["password_hash"].encode()).hexdigest()[:16] if entry else ""


def max_lifetime() -> dt.timedelta:
    return dt.timedelta(hours=max(1, config.get_int("DASHBOARD_SESSION_MAX_HOURS")))


def _encode(session: Session) -> str:
    return signing.seal(_cookie_secret(), "session_cookie",
                        {"j": session.sid, "n": session.name, "r": session.role, "i": int(session.issued.timestamp()),
                         "s": int(session.last_seen.timestamp()), "t": session.tag})


def make_session_cookie(name: str, role: str, now: dt.datetime | None = None) -> str:
    now = now or _utc_now()
    return _encode(Session(name, role, now, now, _password_tag(name), secrets.token_urlsafe(12)))


def _timed_out(session: Session, seen: dt.datetime, now: dt.datetime) -> bool:
    return (now - seen > dt.timedelta(minutes=config.get_int("DASHBOARD_SESSION_MINUTES"))
            or now - session.issued > max_lifetime())


def read_session_cookie(value: str | None, now: dt.datetime | None = None) -> Session | None:
    """The session in a cookie, or None when it is missing, tampered with, idle for longer than
    DASHBOARD_SESSION_MINUTES or older than DASHBOARD_SESSION_MAX_HOURS (judged by the cookie alone)."""
    session = _decode(value)
    if session is None:
        return None
    now = now or _utc_now()
    return None if _timed_out(session, session.last_seen, now) else session


def _decode(value: str | None) -> Session | None:
    try:
        data = signing.unseal(_cookie_secret(), "session_cookie", value or "")
        if data is None or not data.get("j"):
            return None
        return Session(str(data["n"]), str(data["r"]), dt.datetime.fromtimestamp(data["i"], dt.timezone.utc),
                       dt.datetime.fromtimestamp(data["s"], dt.timezone.utc), str(data["t"]), str(data["j"]))
    except (AuthConfigError, ValueError, KeyError, TypeError, OverflowError):
        return None


# Activity seen by Streamlit pages. A page runs over a websocket opened at page load, so its cookie
# is not re-sent while the user works; each rerun notes the time here (same process as the routes),
# and the idle timeout counts from the later of the cookie's time and this. After a restart the
# cookie's own time applies. Sessions ended by log-out are remembered here and in the store.
_activity: dict[str, dt.datetime] = {}
_ended: set[str] = set()
_activity_lock = threading.Lock()


class RevocationStore:
    """Where log-outs are kept beyond this process. The default keeps nothing (memory only);
    auth_routes registers the database-backed one for the running dashboard."""

    def revoked(self, sid: str) -> bool:
        return False

    def revoke(self, sid: str, revoked_at: dt.datetime, expires_at: dt.datetime) -> None:
        return None


_store: list[RevocationStore] = [RevocationStore()]


def use_revocation_store(store: RevocationStore) -> None:
    _store[0] = store


def note_activity(session: Session, now: dt.datetime) -> None:
    with _activity_lock:
        if len(_activity) > 10_000:   # bounded: forget sessions idle for longer than any timeout
            cutoff = now - dt.timedelta(minutes=config.get_int("DASHBOARD_SESSION_MINUTES"))
            for key in [k for k, seen in _activity.items() if seen < cutoff]:
                del _activity[key]
        _activity[session.sid] = max(now, _activity.get(session.sid, now))


def end_session(session: Session, now: dt.datetime | None = None) -> None:
    """Log-out: this session id is refused from now on, here and (through the store) after a restart."""
    now = now or _utc_now()
    with _activity_lock:
        _ended.add(session.sid)
        _activity.pop(session.sid, None)
    _store[0].revoke(session.sid, now, session.issued + max_lifetime())


def session_state(value: str | None, now: dt.datetime | None = None) -> tuple[Session | None, str]:
    """(live session, "ok") or (None, why): "invalid" (missing, tampered, another secret),
    "logged_out" (ended by log-out), "expired" (idle or past its lifetime) or "account" (the
    account is gone or its password changed). The role is the account's current role."""
    now = now or _utc_now()
    session = _decode(value)
    if session is None:
        return None, "invalid"
    if session.sid in _ended or _store[0].revoked(session.sid):
        return None, "logged_out"
    with _activity_lock:
        seen = max(session.last_seen, _activity.get(session.sid, session.last_seen))
    if _timed_out(session, seen, now):
        return None, "expired"
    try:
        entry = local_users().get(session.name)
    except AuthConfigError:
        return None, "account"
    if entry is None or not hmac.compare_digest(_password_tag(session.name), session.tag):
        return None, "account"
    return Session(session.name, entry["role"], session.issued, seen, session.tag, session.sid), "ok"


def session_from_cookie(value: str | None, now: dt.datetime | None = None) -> Session | None:
    """A live session (see session_state), or None."""
    return session_state(value, now)[0]


def refreshed_cookie(value: str | None, now: dt.datetime | None = None) -> str | None:
    """A re-issued cookie (last seen = now) for a live session older than REFRESH_AFTER; else None.
    Never past the session's absolute lifetime: issued stays as it was."""
    now = now or _utc_now()
    raw = _decode(value)
    if raw is None or now - raw.last_seen < REFRESH_AFTER:   # cheap check first: runs on every GET
        return None
    session = session_from_cookie(value, now)
    if session is None:
        return None
    return _encode(Session(session.name, session.role, session.issued, now, session.tag, session.sid))


def login_configured() -> bool:
    """Whether any log-in exists: local accounts, or an [auth] section for st.login."""
    return bool(config.section("users")) or oidc_configured()


# ---- who is using this Streamlit session --------------------------------------------------------

LOOPBACK_NAMES = ("localhost",)
FORWARDING_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip")


@dataclass(frozen=True)
class Status:
    user: User | None
    reason: str   # ok, oidc_unmapped, expired, signed_out (by log-out), logged_out (no session), unprotected


def is_loopback(address: str | None) -> bool:
    if not address:
        return False       # unset: Streamlit listens on every interface
    if address in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return False


def _marked_shared() -> bool:
    try:
        return config.get_bool("DASHBOARD_SHARED")
    except KeyError:       # an older config without the setting
        return False


def resolve(*, oidc: dict | None, cookie: str | None, server_address: str | None, client_is_local: bool,
            now: dt.datetime | None = None) -> Status:
    """Decide who this is from what Streamlit knows (pure: tests call it directly).
    1. OIDC (st.login) logged in: role from the e-mail via DASHBOARD_OIDC_ROLES; unmatched is refused.
    2. A live local session cookie (see session_from_cookie).
    3. No log-in configured at all, DASHBOARD_SINGLE_USER set, a loopback server address, a local
       connection (no proxy headers) and DASHBOARD_SHARED not set: the single local user, admin. Otherwise nobody, and the page
       explains how to configure log-in."""
    now = now or _utc_now()
    if oidc and oidc.get("is_logged_in"):
        email = oidc.get("email")
        if oidc.get("email_verified") is False:
            return Status(None, "oidc_unmapped")
        role = oidc_role(email)
        return Status(User(str(email).strip().casefold(), role, "oidc"), "ok") if role else Status(None, "oidc_unmapped")
    if cookie and config.section("users"):
        session, why = session_state(cookie, now)
        if session:
            note_activity(session, now)
            return Status(User(session.name, session.role, "local"), "ok")
        # a logged-out cookie is told so, not that it timed out
        return Status(None, "signed_out" if why == "logged_out" else "expired")
    if not login_configured():
        # fail closed: a TCP forwarder (stunnel, ssh -L, HAProxy in TCP mode) looks like a local peer
        # without proxy headers, so the anonymous admin also needs the explicit setting (issue 12)
        if (is_loopback(server_address) and client_is_local and not _marked_shared()
                and config.get_bool("DASHBOARD_SINGLE_USER")):
            return Status(User("local", "admin", "loopback"), "ok")
        return Status(None, "unprotected")
    return Status(None, "logged_out")
