"""Passwords and local accounts: scrypt hashes, the [users.NAME] tables of secrets.toml, and
`python -m dashboard user add`. A password, a hash or a secret never appears in a message or a log.
"""
from __future__ import annotations

import base64
import functools
import getpass
import hashlib
import hmac
import re
import secrets
import sys

from dashboard.core import config
from dashboard.access.roles import ROLES, AuthConfigError

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
