"""The check-up for the weekly report: the goals, the warning signs seen now (with what staff did
about them, when the alerts table knows), and the three things to do next — the most urgent signs
nobody has acknowledged or muted. Reads only, so `python -m dashboard report` can run beside a
running dashboard's copy or on a read-only file."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dashboard.analytics import metrics
from dashboard.checkup import alerts, clock, goals, rules

NEXT_ACTIONS = 3


@dataclass(frozen=True)
class Sign:
    rule: str
    subject: str
    evidence: dict
    status: str          # open, acknowledged, muted (as kept in the alerts table; open when not kept yet)


@dataclass(frozen=True)
class Summary:
    as_of: dt.datetime
    goals: list
    signs: list[Sign]
    names: dict          # route -> (name_ja, name_en), for the words

    @property
    def next_actions(self) -> list[Sign]:
        return [s for s in self.signs if s.status == "open"][:NEXT_ACTIONS]


def weekly(cur, *, now: dt.datetime | None = None) -> Summary:
    now = now or dt.datetime.now(dt.timezone.utc)
    as_of = clock.as_of(cur, now)
    kept = {(a.rule, a.subject): a for a in alerts.live(cur)}
    signs = []
    for f in rules.evaluate(cur, as_of, now=now):
        a = kept.get((f.rule, f.subject))
        status = "open" if a is None or a.is_open(now) else a.status
        signs.append(Sign(f.rule, f.subject, f.evidence, status))
    names = {r.route: (r.name_ja, r.name_en) for r in metrics.routes(cur).itertuples()}
    return Summary(as_of, goals.statuses(cur, now=now), signs, names)
