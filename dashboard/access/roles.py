"""Roles and what each may do: the one table every page (allowed) and every write (require) reads.
A page is hidden in the navigation AND refused when reached by URL (PAGES, dashboard/web/navigation.py).
"""
from __future__ import annotations

from dataclasses import dataclass

ROLES = ("viewer", "operator", "sender", "admin")   # each role can do everything the one before can

# action -> the lowest role allowed. Pages call allowed(); every write calls require().
_LOWEST_ROLE = {
    "view": "viewer",
    "see_user_ids": "operator",    # viewers see masked LINE user IDs
    "export": "operator",          # CSV downloads carry user IDs
    "edit_segments": "operator",
    "tag_friends": "operator",     # add or remove a friend's tag by hand (friend page, audited)
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
    "alerts": "operator",          # acknowledge or mute a check-up alert (dashboard/checkup/alerts.py)
    "set_goals": "admin",          # the account's goals (dashboard/checkup/goals.py)
}
ACTIONS = tuple(_LOWEST_ROLE)
PERMISSIONS: dict[str, frozenset[str]] = {
    action: frozenset(ROLES[ROLES.index(lowest):]) for action, lowest in _LOWEST_ROLE.items()}

# page file name (pages/NAME.py) -> the action needed to see it: hidden in the navigation AND
# refused when reached by URL.
PAGES = {
    "overview": "view", "acquisition": "view", "funnel": "view", "cohorts": "view",
    "engagement": "view", "deliveries": "view", "segments": "view",
    "friend": "view", "crosstab": "view", "send_time": "view",
    "data": "import",       # operators up: its quarantine shows raw events with unmasked user IDs
    "compose": "draft", "audit": "audit",
    "health": "view",       # issue 16: goals and alerts (setting goals: admins; alerts: operators up)
    "scenarios": "view",    # step scenarios: its writes check draft (import, pause) and send (activate, enrol)
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
        raise KeyError(f"unknown action {action!r}; declare it in dashboard/access/roles.py")
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


