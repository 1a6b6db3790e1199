"""Local log-in checks (the form served by dashboard/access/login_routes.py), atomic against the
rate limits below. The password is never stored.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import threading
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from dashboard.core import audit, config, queries, storage
from dashboard.access.passwords import _dummy_hash, local_users, verify_password
from dashboard.access.roles import User

queries.require("auth/record_attempt", "auth/recent_failures", "auth/attempt_ok", "auth/prune_attempts")

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
        with storage.transaction(cur):
            queries.run(cur, "auth/attempt_ok", attempt_id=attempt_id)
            audit.record(cur, name, "login", f"user:{name}", {"method": "local", "client": client}, at=now)
        return LoginResult(User(name, entry["role"], "local"), "ログインしました / logged in")
    _audit_failure(cur, key, client, {"reason": "wrong_password" if entry else "unknown_user"}, now)
    return LoginResult(None, "ユーザー名またはパスワードが違います / wrong user name or password")
