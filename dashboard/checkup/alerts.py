"""Alerts: the check-up's findings kept in the `alerts` table with what staff did about them.

A check (`check`, run by the worker's `checkup` duty every DASHBOARD_ALERT_INTERVAL_S, or by a page
when the last one is older than that) evaluates every rule (rules.py) and, in one transaction,
raises an alert for each new finding, refreshes the evidence of those still seen (a mute that ran
out opens its alert again), and resolves the ones no longer seen — a finding that comes back later
is a new alert. Staff acknowledge an alert (it stays out of the count until it is resolved) or mute
it for some days (it comes back if still seen after that); both need the `alerts` permission,
checked here on the server, and both are in the audit log.
"""
from __future__ import annotations

import datetime as dt
import json
import threading
import time
import uuid
from dataclasses import dataclass

import pandas as pd

from dashboard.access import roles
from dashboard.checkup import clock, rules
from dashboard.core import audit, config, queries, storage

queries.require("checkup/alerts_live", "checkup/alert_insert", "checkup/alert_seen", "checkup/alert_resolve",
                "checkup/alert_act", "checkup/alert_get", "checkup/last_check", "checkup/record_check")

MUTE_DAYS = (1, 7, 30)       # the choices a page offers
_lock = threading.Lock()     # the worker and a page may check at once: one writer of alerts at a time
_changes = [0]               # bumped after every write of alerts in this process (the one that owns the file)


def changes() -> int:
    """How many times this process has written the alerts (a check, an acknowledge, a mute): part of
    the pages' cache key, so that a cached list of alerts is never older than the last write here."""
    return _changes[0]


def _changed() -> None:
    with _lock_changes:
        _changes[0] += 1


_lock_changes = threading.Lock()


class AlertError(ValueError):
    """An action on an alert is refused: `code` for the page (i18n `hl.alert.err.<code>`)."""

    def __init__(self, code: str):
        self.code = code
        super().__init__(code)


@dataclass(frozen=True)
class Alert:
    alert_id: str
    rule: str
    subject: str
    raised_at: dt.datetime
    last_seen_at: dt.datetime
    evidence: dict
    status: str                       # open, acknowledged, muted
    muted_until: dt.datetime | None
    acted_by: str | None
    acted_at: dt.datetime | None

    @property
    def page(self) -> str:
        return rules.RULES[self.rule][0]

    @property
    def urgency(self) -> int:
        return rules.RULES[self.rule][1]

    def is_open(self, now: dt.datetime) -> bool:
        """Counted and shown first: open, or muted and the mute has run out."""
        return self.status == "open" or (self.status == "muted" and self.muted_until is not None
                                         and self.muted_until <= now)


def _ts(value) -> dt.datetime | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).to_pydatetime()


def live(cur) -> list[Alert]:
    """Alerts not resolved, most urgent first."""
    found = []
    for r in queries.run(cur, "checkup/alerts_live").itertuples(index=False):
        evidence = json.loads(r.evidence) if isinstance(r.evidence, str) else dict(r.evidence)
        found.append(Alert(r.alert_id, r.rule, r.subject, _ts(r.raised_at), _ts(r.last_seen_at), evidence, r.status,
                           _ts(r.muted_until), None if pd.isna(r.acted_by) else r.acted_by, _ts(r.acted_at)))
    return sorted(found, key=lambda a: (a.urgency, list(rules.RULES).index(a.rule), a.subject))


def open_alerts(cur, now: dt.datetime | None = None) -> list[Alert]:
    now = now or dt.datetime.now(dt.timezone.utc)
    return [a for a in live(cur) if a.is_open(now)]


def last_check(cur) -> dict:
    row = queries.run(cur, "checkup/last_check").iloc[0]
    return {"checked_at": _ts(row["checked_at"]), "as_of": _ts(row["as_of"])}


def check(con, *, now: dt.datetime | None = None) -> list[rules.Finding]:
    """Evaluate every rule and bring the alerts table up to date (one transaction). Returns the findings."""
    now = now or dt.datetime.now(dt.timezone.utc)
    with _lock:
        cur = con.cursor()
        try:
            started = time.perf_counter()
            as_of = clock.as_of(cur, now)
            findings = rules.evaluate(cur, as_of, now=now)
            current = {(a.rule, a.subject): a for a in live(cur)}
            with storage.transaction(cur):
                seen = set()
                for f in findings:
                    key = (f.rule, f.subject)
                    seen.add(key)
                    evidence = json.dumps(f.evidence, ensure_ascii=False, default=str)
                    if key in current:
                        queries.run(cur, "checkup/alert_seen", alert_id=current[key].alert_id, at=now, evidence=evidence)
                    else:
                        queries.run(cur, "checkup/alert_insert", alert_id=uuid.uuid4().hex, rule=f.rule,
                                    subject=f.subject, at=now, evidence=evidence)
                for key, alert in current.items():
                    if key not in seen:
                        queries.run(cur, "checkup/alert_resolve", alert_id=alert.alert_id, at=now)
                queries.run(cur, "checkup/record_check", checked_at=now, as_of=as_of, fired=len(findings),
                            seconds=time.perf_counter() - started)
            _changed()
            return findings
        finally:
            cur.close()


def interval_s() -> float:
    return float(max(1, config.get_int("DASHBOARD_ALERT_INTERVAL_S")))


def check_if_stale(con, *, now: dt.datetime | None = None) -> bool:
    """Check now when the last check is older than the interval (or there was none). True if it ran."""
    now = now or dt.datetime.now(dt.timezone.utc)
    cur = con.cursor()
    try:
        last = last_check(cur)["checked_at"]
    finally:
        cur.close()
    if last is not None and (now - last).total_seconds() < interval_s():
        return False
    check(con, now=now)
    return True


def _act(con, user, alert_id: str, status: str, muted_until: dt.datetime | None, now: dt.datetime) -> Alert:
    who = roles.require(user, "alerts")
    cur = con.cursor()
    try:
        found = queries.run(cur, "checkup/alert_get", alert_id=alert_id)
        if found.empty:
            raise AlertError("unknown")
        row = found.iloc[0]
        if row["status"] == "resolved":
            raise AlertError("resolved")
        with storage.transaction(cur):
            queries.run(cur, "checkup/alert_act", alert_id=alert_id, status=status, muted_until=muted_until,
                        acted_by=who.name, acted_at=now)
            audit.record(cur, who, f"alert.{'acknowledge' if status == 'acknowledged' else 'mute'}", alert_id,
                         {"rule": row["rule"], "subject": row["subject"],
                          "muted_until": None if muted_until is None else muted_until.isoformat()}, at=now)
        _changed()
        return next(a for a in live(cur) if a.alert_id == alert_id)
    finally:
        cur.close()


def acknowledge(con, user, alert_id: str, *, now: dt.datetime | None = None) -> Alert:
    """Staff saw it and are on it: out of the open count until the rule no longer sees it."""
    return _act(con, user, alert_id, "acknowledged", None, now or dt.datetime.now(dt.timezone.utc))


def mute(con, user, alert_id: str, days: int, *, now: dt.datetime | None = None) -> Alert:
    """Out of sight for `days` days (one of MUTE_DAYS); it opens again if still seen after that."""
    if days not in MUTE_DAYS:
        raise AlertError("mute_days")
    now = now or dt.datetime.now(dt.timezone.utc)
    return _act(con, user, alert_id, "muted", now + dt.timedelta(days=days), now)
