"""OpenID Connect through Streamlit's own st.login: whether it is set up, and the role of an
e-mail address from DASHBOARD_OIDC_ROLES (an exact address wins over its @domain; unmatched: refused).
"""
from __future__ import annotations

from dashboard.core import config
from dashboard.access.roles import ROLES, AuthConfigError


def oidc_configured() -> bool:
    return bool(config.section("auth"))


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
