"""The staff list: the only people a test send can reach (issue 12, point 1).

A test send goes by push and needs no second person's approval, so whoever may test could otherwise
message any friend with it. Test recipients therefore come only from this list, which an admin keeps
(the Audit page, or `python -m dashboard staff add|remove|list`); every change is in the audit log,
every ID is checked against LINE's shape (dashboard/line/ids.py), and the list holds at most
DASHBOARD_STAFF_MAX people. test_send_problems() is every check a test send must pass, run on the
server by compose_actions.test_send; the send engine checks the ledger against the list once more.

Problems are codes with parameters; pages render them through i18n (`staff.err.<code>`).
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from dashboard.core import audit, config, queries, storage
from dashboard.access import roles
from dashboard.messaging import planning
from dashboard.line import ids as line_ids, message_limits

queries.require("staff/list", "staff/add", "staff/remove", "staff/test_sends_today", "staff/ledger_not_staff")

MAX_LABEL = 80


class StaffError(ValueError):
    """A staff-list change or a test send is refused: `code` and `params` for the page, in i18n."""

    def __init__(self, code: str, **params):
        self.code, self.params = code, params
        super().__init__(f"{code}: {params}" if params else code)


def max_staff() -> int:
    return max(1, config.get_int("DASHBOARD_STAFF_MAX"))


def members(cur) -> pd.DataFrame:
    """user_id, label, added_by, added_at — oldest first."""
    return queries.run(cur, "staff/list")


def ids(cur) -> list[str]:
    return members(cur)["user_id"].tolist()


def add(cur, actor: roles.User | None, user_id: str, label: str = "", now: dt.datetime | None = None) -> None:
    """Put a LINE user on the list (admin only; audited). Relabels one already on it."""
    roles.require(actor, "staff")
    user_id = (user_id or "").strip()
    label = (label or "").strip()[:MAX_LABEL]
    if not line_ids.is_user_id(user_id):
        raise StaffError("bad_id", value=user_id[:40])
    with storage.transaction(cur):
        current = ids(cur)
        if user_id not in current and len(current) >= max_staff():
            raise StaffError("full", n=max_staff())
        queries.run(cur, "staff/add", user_id=user_id, label=label or None, added_by=actor.name,
                    added_at=now or dt.datetime.now(dt.timezone.utc))
        audit.record(cur, actor, "staff.add", f"staff:{user_id}", {"label": label or None})


def remove(cur, actor: roles.User | None, user_id: str) -> bool:
    """Take a LINE user off the list (admin only; audited). False when they were not on it."""
    roles.require(actor, "staff")
    user_id = (user_id or "").strip()
    with storage.transaction(cur):
        if user_id not in ids(cur):
            return False
        queries.run(cur, "staff/remove", user_id=user_id)
        audit.record(cur, actor, "staff.remove", f"staff:{user_id}", None)
    return True


# ---- what a test send must pass -------------------------------------------------------------------

def test_send_problems(cur, recipients: list[str], messages: list[dict],
                       now: dt.datetime | None = None) -> list[tuple[str, dict]]:
    """Every reason a test send of `messages` to `recipients` must not go, as (code, params):
    recipients only from the staff list and at most DASHBOARD_STAFF_MAX; LINE's message limits; no
    forbidden term of level block; not in quiet hours; at most DASHBOARD_TEST_SENDS_PER_DAY test
    sends per staff member in 24 hours (the frequency cap of test sends). Empty: it may go."""
    now = now or dt.datetime.now(dt.timezone.utc)
    problems: list[tuple[str, dict]] = []
    wanted = list(dict.fromkeys(r.strip() for r in recipients if r and r.strip()))
    if not wanted:
        problems.append(("none", {}))
    if len(wanted) > max_staff():
        problems.append(("too_many", {"n": len(wanted), "max": max_staff()}))
    on_list = set(ids(cur))
    outsiders = [r for r in wanted if r not in on_list]
    if outsiders:
        problems.append(("not_staff", {"n": len(outsiders)}))
    for p in message_limits.check_messages(messages):
        problems.append(("limit", {"detail": f"{p['property']}: {p['message']}"}))
    text = planning._text_of(messages)
    for term, level in planning.forbidden_terms():
        if level == "block" and term in text:
            problems.append(("forbidden", {"term": term}))
    if planning.in_quiet_hours(now):
        problems.append(("quiet_hours", {"hours": config.get("DASHBOARD_QUIET_HOURS")}))
    cap = config.get_int("DASHBOARD_TEST_SENDS_PER_DAY")
    if cap > 0 and wanted:
        counts = queries.run(cur, "staff/test_sends_today", user_ids=wanted, since=now - dt.timedelta(hours=24))
        over = int((counts["test_sends"] >= cap).sum()) if not counts.empty else 0
        if over:
            problems.append(("test_cap", {"n": over, "cap": cap}))
    return problems


def ledger_problem(cur, delivery_id: str) -> tuple[str, dict] | None:
    """For the send engine: a test delivery whose ledger names anyone off the staff list, or more
    people than the list may hold, does not go (whoever planned it, by whatever path)."""
    row = queries.run(cur, "staff/ledger_not_staff", delivery_id=delivery_id).iloc[0]
    if int(row["not_staff"]):
        return "not_staff", {"n": int(row["not_staff"])}
    if int(row["recipients"]) > max_staff():
        return "too_many", {"n": int(row["recipients"]), "max": max_staff()}
    return None
