"""Who may do what: roles, permissions, passwords, log-in checks, sessions and OIDC roles.

Two ways to log in (issue 6):
- Local accounts in `.streamlit/secrets.toml` ([users.NAME] password_hash, role). The form is served
  by a server route (dashboard/access/login_routes.py), which sets a signed, HttpOnly cookie: a Streamlit
  script cannot set cookies, and a session kept only in st.session_state would end on every refresh.
- OpenID Connect through Streamlit's own st.login; roles come from DASHBOARD_OIDC_ROLES.
With neither configured, the single person at the machine is admin — but only with
DASHBOARD_SINGLE_USER set, while the server listens on loopback and the connection is local;
otherwise nobody is let in (serving_unprotected): fail closed.

Every write checks the role here on the server (require), not only in the UI. Passwords, hashes and
secrets never appear in a message, a log line or the audit log.
"""
from __future__ import annotations

import base64
import datetime as dt
import functools
import getpass
import hashlib
import hmac
import ipaddress
import json
import re
import secrets
import sys
import threading
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from dashboard.core import audit, config, queries, signing

queries.require("auth/record_attempt", "auth/recent_failures", "auth/attempt_ok", "auth/prune_attempts")

# ---- roles and permissions ----------------------------------------------------------------------

ROLES = ("viewer", "operator", "sender", "admin")   # each role can do everything the one before can

# action -> the lowest role allowed. Pages call allowed(); every write calls require().
_LOWEST_ROLE = {
    "view": "viewer",
    "see_user_ids": "operator",    # viewers see masked LINE user IDs
    "export": "operator",          # CSV downloads carry user IDs
    "edit_segments": "operator",
    "draft": "operator",
    "test_send": "operator",
    "import": "operator",
    "sync": "operator",
    "send": "sender",
    "approve": "sender",
    "settings": "admin",
    "users": "admin",
    "staff": "admin",              # the staff list: who test sends may reach (dashboard/messaging/staff.py)
    "audit": "admin",
}
ACTIONS = tuple(_LOWEST_ROLE)
PERMISSIONS: dict[str, frozenset[str]] = {
    action: frozenset(ROLES[ROLES.index(lowest):]) for action, lowest in _LOWEST_ROLE.items()}

# page file name (pages/NAME.py) -> the action needed to see it: hidden in the navigation AND
# refused when reached by URL.
PAGES = {
    "overview": "view", "acquisition": "view", "funnel": "view", "cohorts": "view",
    "engagement": "view", "deliveries": "view", "segments": "view",
    "data": "import",       # operators up: its quarantine shows raw events with unmasked user IDs
    "compose": "draft", "audit": "audit",
}


class PermissionDenied(PermissionError):
    """The user's role may not do this; the message says which role would."""


class AuthConfigError(ValueError):
    """Log-in settings are wrong; the message names the setting, never a secret's value."""


@dataclass(frozen=True)
class User:
    name: str      # local account name, or the OIDC e-mail address; the audit log's actor
    role: str
    method: str    # "local", "oidc" or "loopback"

    def may(self, action: str) -> bool:
        return allowed(self.role, action)


def allowed(role: str | None, action: str) -> bool:
    if action not in PERMISSIONS:
        raise KeyError(f"unknown action {action!r}; declare it in dashboard/access/auth.py")
    return role in PERMISSIONS[action]


def require(user: User | None, action: str) -> User:
    """Raise PermissionDenied unless `user` may do `action`; server-side checks call this."""
    if user is None:
        raise PermissionDenied("ログインしてください / log in first")
    if not allowed(user.role, action):
        lowest = _LOWEST_ROLE[action]
        raise PermissionDenied(
            f"{user.name}（{user.role}）には「{action}」の権限がありません。{lowest}以上の役割が必要です / "
            f"{user.name} ({user.role}) may not {action}: it needs the {lowest} role or higher")
    return user


def pages_for(role: str | None) -> list[str]:
    """Page names (pages/NAME.py) this role may open, in PAGES order."""
    return [page for page, action in PAGES.items() if allowed(role, action)]


# ---- passwords ----------------------------------------------------------------------------------
# scrypt is memory-hard (16 MiB per guess at these parameters) and in the standard library; the
# hash string names its parameters, so they can be raised later without breaking old hashes.

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 14, 8, 1
_SALT_BYTES, _KEY_BYTES = 16, 32
_MAXMEM = 64 * 1024 * 1024
_MAX_PASSWORD_BYTES = 1024         # bounds the work one request can ask for
MIN_PASSWORD_LENGTH = 8


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8")[:_MAX_PASSWORD_BYTES], salt=salt, n=n, r=r, p=p,
                          maxmem=_MAXMEM, dklen=_KEY_BYTES)


def hash_password(password: str) -> str:
    """`scrypt$N$r$p$<salt b64>$<hash b64>` for a new random salt."""
    salt = secrets.token_bytes(_SALT_BYTES)
    key = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return "$".join(["scrypt", str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P),
                     base64.b64encode(salt).decode(), base64.b64encode(key).decode()])


def _parse_hash(stored: str) -> tuple[int, int, int, bytes, bytes]:
    parts = stored.split("$") if isinstance(stored, str) else []
    if len(parts) != 6 or parts[0] != "scrypt":
        raise AuthConfigError("password_hash is not a scrypt hash made by `python -m dashboard user add`")
    try:
        n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt, key = base64.b64decode(parts[4], validate=True), base64.b64decode(parts[5], validate=True)
    except ValueError:
        raise AuthConfigError("password_hash is malformed") from None
    # a hash from secrets.toml must not be able to ask for unbounded memory or time
    if not (2 <= n <= 2 ** 20 and n & (n - 1) == 0 and 1 <= r <= 32 and 1 <= p <= 16 and salt and key):
        raise AuthConfigError("password_hash has out-of-range scrypt parameters")
    return n, r, p, salt, key


def verify_password(password: str, stored: str) -> bool:
    """True when `password` matches the hash; constant-time comparison of the derived keys."""
    n, r, p, salt, key = _parse_hash(stored)
    return hmac.compare_digest(_scrypt(password or "", salt, n, r, p), key)


@functools.lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # A hash nobody's password matches: unknown names cost the same scrypt as known ones, so timing
    # does not tell which account names exist. Made on first use, not at import.
    return hash_password(secrets.token_urlsafe(16))


# ---- local accounts -----------------------------------------------------------------------------

_NAME = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")


def local_users() -> dict[str, dict[str, str]]:
    """{name: {"password_hash", "role"}} from [users.NAME] tables of secrets.toml, validated."""
    users = {}
    for name, entry in config.section("users").items():
        if not isinstance(entry, dict):
            raise AuthConfigError(f"[users.{name}] must be a table with password_hash and role")
        role = entry.get("role")
        if role not in ROLES:
            raise AuthConfigError(f"[users.{name}] role {role!r} is not one of {', '.join(ROLES)}")
        _parse_hash(entry.get("password_hash"))
        email = entry.get("email")
        if email is not None and (not isinstance(email, str) or "@" not in email):
            raise AuthConfigError(f"[users.{name}] email must be an e-mail address")
        users[str(name)] = {"password_hash": entry["password_hash"], "role": role,
                            **({"email": email.strip().casefold()} if email else {})}
    return users


def identity(name: str | None) -> str:
    """The person behind an actor name: a local account's e-mail (its `email` in secrets.toml) when
    set, else the name itself, case-folded. An OIDC user's name is their e-mail, so the same person's
    local account and company log-in are one identity (one approver, not two)."""
    name = (name or "").strip()
    try:
        entry = local_users().get(name)
    except AuthConfigError:
        entry = None
    return (entry or {}).get("email") or name.casefold()


def oidc_configured() -> bool:
    return bool(config.section("auth"))


def login_configured() -> bool:
    """Whether any log-in exists: local accounts, or an [auth] section for st.login."""
    return bool(config.section("users")) or oidc_configured()


# ---- log-in attempts and rate limiting ----------------------------------------------------------
# Atomic (issue 12 point 4): under one lock, the recent failures are counted and the attempt is
# written as a failure before the password is checked, so 30 parallel guesses cannot all be
# evaluated against a limit of 5; a right password then turns its own row into a success.
# Per name: DASHBOARD_LOGIN_MAX_FAILURES failures in 15 minutes refuse that name until they age out.
# Per client address: no hard lock (one person behind an office NAT must not lock everyone out):
# beyond the same number, each attempt waits 1, 2, 4 … seconds (up to 5 minutes) after the last one.
# Refused attempts are not written; failed ones reach the audit log at most AUDIT_FAILURES_PER_MINUTE
# a minute, the rest as a count in the next row. Unknown names are stored only as a hash: a
# password typed into the name field never lands in clear.

FAILURE_WINDOW = dt.timedelta(minutes=15)
BACKOFF_MAX = dt.timedelta(minutes=5)
AUDIT_FAILURES_PER_MINUTE = 30
_login_lock = threading.Lock()
_audit_budget = {"minute": None, "written": 0, "suppressed": 0}
_refusals_noted: dict[tuple[str, str | None], dt.datetime] = {}
_attempts_since_prune = [0]


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    message: str                          # for the person at the form; never says which part was wrong
    retry_at: dt.datetime | None = None   # set when refused for too many failures

    @property
    def ok(self) -> bool:
        return self.user is not None

    @property
    def rate_limited(self) -> bool:
        return self.retry_at is not None


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _retry_at(failures: list[dt.datetime], limit: int) -> dt.datetime | None:
    """When enough of these failures leave the window for fewer than `limit` to remain."""
    if len(failures) < limit:
        return None
    failures = sorted(failures)
    return failures[len(failures) - limit] + FAILURE_WINDOW


def _client_wait_until(failures: list[dt.datetime], limit: int) -> dt.datetime | None:
    """Backoff for one address: from the limit on, 1 s, 2 s, 4 s … (at most BACKOFF_MAX) after its last failure."""
    if len(failures) < limit:
        return None
    wait = min(dt.timedelta(seconds=2 ** min(len(failures) - limit, 20)), BACKOFF_MAX)
    return max(failures) + wait


def stored_name(name: str, users: dict) -> str:
    """The name as stored in login_attempts and audit_log: an account's name, or a hash of an unknown one."""
    if name in users or not name:
        return name
    return "unknown:" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:12]


def _audit_failure(cur, name: str, client: str | None, detail: dict, now: dt.datetime) -> None:
    """A failed or refused log-in in the audit log, capped per minute (the count of the rest rides along)."""
    minute = now.replace(second=0, microsecond=0)
    with _login_lock:
        if _audit_budget["minute"] != minute:
            _audit_budget.update(minute=minute, written=0)
        if _audit_budget["written"] >= AUDIT_FAILURES_PER_MINUTE:
            _audit_budget["suppressed"] += 1
            return
        _audit_budget["written"] += 1
        suppressed, _audit_budget["suppressed"] = _audit_budget["suppressed"], 0
    if suppressed:
        detail = {**detail, "not_logged_before": suppressed}
    audit.record(cur, "-", "login_failed", f"user:{name}", {"method": "local", "client": client, **detail}, at=now)


def check_login(cur, name: str, password: str, client: str | None, now: dt.datetime | None = None) -> LoginResult:
    """Check a local log-in, atomically against the limits above. The password is never stored."""
    name = (name or "").strip()[:64]
    limit = max(1, config.get_int("DASHBOARD_LOGIN_MAX_FAILURES"))
    users = local_users()
    key = stored_name(name, users)
    attempt_id = secrets.token_hex(12)
    given_now = now
    with _login_lock:   # count and reserve in one step: parallel requests see each other's reservations
        now = given_now or _utc_now()   # read under the lock: a reservation is never "in the future"
        recent = queries.run(cur, "auth/recent_failures", username=key, client=client,
                             since=now - FAILURE_WINDOW, now=now)
        by_name = [t.to_pydatetime() for t in recent.loc[recent["for_name"], "at"]]
        by_client = [t.to_pydatetime() for t in recent.loc[recent["for_client"], "at"]] if client else []
        waits = [t for t in (_retry_at(by_name, limit), _client_wait_until(by_client, limit)) if t and t > now]
        if not waits:
            queries.run(cur, "auth/record_attempt", attempt_id=attempt_id, at=now, username=key, ok=False,
                        client=client)
            _attempts_since_prune[0] += 1
            if _attempts_since_prune[0] >= 500:
                _attempts_since_prune[0] = 0
                queries.run(cur, "auth/prune_attempts", before=now - dt.timedelta(days=1))
    if waits:
        retry_at = max(waits)
        noted = _refusals_noted.get((key, client))
        if noted is None or now - noted > FAILURE_WINDOW:   # one audit row per name and address per window
            if len(_refusals_noted) > 10_000:
                _refusals_noted.clear()
            _refusals_noted[(key, client)] = now
            _audit_failure(cur, key, client, {"reason": "rate_limited"}, now)
        local = retry_at.astimezone(ZoneInfo(config.timezone())).strftime("%H:%M:%S")
        return LoginResult(None, f"ログインの失敗が多すぎます。{local} 以降に再度お試しください / "
                                 f"Too many failed log-ins: try again after {local} ({config.timezone()})", retry_at)
    entry = users.get(name)
    matched = verify_password(password, entry["password_hash"] if entry else _dummy_hash())
    if entry and matched:
        cur.execute("begin")
        try:
            queries.run(cur, "auth/attempt_ok", attempt_id=attempt_id)
            audit.record(cur, name, "login", f"user:{name}", {"method": "local", "client": client}, at=now)
            cur.execute("commit")
        except Exception:
            cur.execute("rollback")
            raise
        return LoginResult(User(name, entry["role"], "local"), "ログインしました / logged in")
    _audit_failure(cur, key, client, {"reason": "wrong_password" if entry else "unknown_user"}, now)
    return LoginResult(None, "ユーザー名またはパスワードが違います / wrong user name or password")


# ---- session cookie -----------------------------------------------------------------------------
# value = signing.seal(payload) with the session-cookie key derived from DASHBOARD_COOKIE_SECRET.
# The payload carries a random session id (two log-ins in one second get distinct cookies), the
# name, the role at log-in, when the session was issued and last seen, and a tag of the user's
# password hash: a new password (or a removed account) ends every session of that user at once.
# A session ends after DASHBOARD_SESSION_MINUTES idle, and DASHBOARD_SESSION_MAX_HOURS after log-in
# whatever the activity (issue 12 point 5). Log-outs are kept in the database (session_revocations,
# through the store auth_routes registers), so a copied cookie stays dead after a restart.

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


# ---- OpenID Connect -----------------------------------------------------------------------------

def _oidc_rules() -> list[tuple[str, str]]:
    rules = []
    for item in (config.get("DASHBOARD_OIDC_ROLES") or "").split(","):
        item = item.strip()
        if not item:
            continue
        who, _, role = item.partition("=")
        who, role = who.strip().casefold(), role.strip()
        if not who or role not in ROLES:
            raise AuthConfigError(f"DASHBOARD_OIDC_ROLES entry {item!r} must be address=role or @domain=role "
                                  f"with a role of {', '.join(ROLES)}")
        rules.append((who, role))
    return rules


def oidc_role(email: str | None) -> str | None:
    """The role of an OIDC user: an exact address wins over its @domain; unmatched is None (refused)."""
    if not email or "@" not in email:
        return None
    email = email.strip().casefold()
    rules = _oidc_rules()
    for who, role in rules:
        if who == email:
            return role
    domain = "@" + email.rsplit("@", 1)[1]
    for who, role in rules:
        if who == domain:
            return role
    return None


# ---- who is using this Streamlit session --------------------------------------------------------

LOOPBACK_NAMES = ("localhost",)
_FORWARDING_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip")


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


def _streamlit_inputs() -> dict:
    import streamlit as st

    try:
        oidc = st.user.to_dict()
    except Exception:   # no script run context (e.g. called from a thread)
        oidc = {}
    headers = {k.lower() for k in (st.context.headers or {}).keys()}
    ip = st.context.ip_address
    # Streamlit gives None for a localhost client (AppTest gives a stand-in object, not an address)
    client_is_local = (not isinstance(ip, str) or is_loopback(ip)) and not headers.intersection(_FORWARDING_HEADERS)
    return {"oidc": oidc, "cookie": (st.context.cookies or {}).get(COOKIE_NAME),
            "server_address": st.get_option("server.address"), "client_is_local": client_is_local}


def session_status() -> Status:
    """Who is using this Streamlit session, and if nobody, why (for the page to explain)."""
    return resolve(**_streamlit_inputs())


def current_user() -> User | None:
    """The logged-in user of this Streamlit session, or None (see resolve for the order)."""
    return session_status().user


def serving_unprotected() -> bool:
    """True when no log-in is configured and the dashboard is reachable by others (a non-loopback
    address, a proxy, or DASHBOARD_SHARED): the page must show no data and explain the set-up."""
    return session_status().reason == "unprotected"


# ---- python -m dashboard user add ---------------------------------------------------------------

def _read_password() -> str:
    if sys.stdin is not None and sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Repeat password: ") != first:
            raise AuthConfigError("the two passwords differ")
        return first
    return (sys.stdin.readline() if sys.stdin else "").rstrip("\r\n")


_EMAIL = re.compile(r"^[^@\s\"\\]{1,64}@[^@\s\"\\]{1,190}$")


def cli_user_add(name: str, role: str, password: str | None = None, email: str | None = None) -> str:
    """The TOML to paste into .streamlit/secrets.toml for a local account. Asks for the password
    twice on a terminal, or reads one line from stdin when it is not a terminal."""
    if not _NAME.match(name or ""):
        raise AuthConfigError("a user name has 1-64 letters, digits or . _ @ -")
    if role not in ROLES:
        raise AuthConfigError(f"role must be one of {', '.join(ROLES)}")
    password = _read_password() if password is None else password
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AuthConfigError(f"a password has at least {MIN_PASSWORD_LENGTH} characters")
    if email is not None and not _EMAIL.match(email):
        raise AuthConfigError("--email must be an e-mail address")
    lines = [f'[users."{name}"]', f'password_hash = "{hash_password(password)}"', f'role = "{role}"']
    if email:   # ties this account to the same person's OIDC log-in: one approver, not two
        lines.append(f'email = "{email}"')
    if not config.is_set("DASHBOARD_COOKIE_SECRET"):
        lines = ["# Local log-in also needs DASHBOARD_COOKIE_SECRET near the top of secrets.toml (before any [table]):",
                 "# DASHBOARD_COOKIE_SECRET = \"<output of: python -c 'import secrets; print(secrets.token_urlsafe(32))'>\"",
                 *lines]
    return "\n".join(lines) + "\n"
