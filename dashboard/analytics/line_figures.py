"""LINE's own friend numbers beside ours (Overview), for accounts older than the dashboard.

LINE's Insight (synced into insight_followers) counts every friend the account ever had; our
friends table holds those the webhook or sync has seen. `compare` returns both and the sentences
that explain the difference, as i18n codes with parameters (the page renders them).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from dashboard.core import queries

queries.require("account/line_figures")


@dataclass
class Comparison:
    line_day: dt.date | None            # LINE's latest ready day (UTC+9); None before any sync
    line_followers: int | None          # friends ever added, as LINE counts them
    line_targeted_reaches: int | None
    line_blocks: int | None
    known: int                          # friends known here (blocked ones included)
    known_following: int
    known_blocked: int
    sync_only: int                      # known only from LINE's follower list: no known add date
    lines: list[tuple[str, dict]] = field(default_factory=list)   # (i18n key, parameters)


def _int(value) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def compare(cur) -> Comparison:
    row = queries.run(cur, "account/line_figures").iloc[0]
    day = row["line_day"]
    c = Comparison(line_day=None if day is None or pd.isna(day) else pd.Timestamp(day).date(),
                   line_followers=_int(row["line_followers"]),
                   line_targeted_reaches=_int(row["line_targeted_reaches"]), line_blocks=_int(row["line_blocks"]),
                   known=int(row["known"]), known_following=int(row["known_following"]),
                   known_blocked=int(row["known_blocked"]), sync_only=int(row["sync_only"]))
    c.lines = explain(c)
    return c


def explain(c: Comparison) -> list[tuple[str, dict]]:
    """The difference in words: LINE's count, ours, and what lies between them."""
    out: list[tuple[str, dict]] = []
    known = {"known": c.known, "following": c.known_following, "blocked": c.known_blocked}
    if c.line_followers is None:
        out.append(("i11.line.none", {}))
        out.append(("i11.line.known", known))
    else:
        out.append(("i11.line.counts", {"followers": c.line_followers, "blocks": c.line_blocks or 0,
                                        "day": c.line_day.isoformat()}))
        out.append(("i11.line.known", known))
        gap = c.line_followers - c.known
        if gap > 0:
            out.append(("i11.line.unseen", {"n": gap}))
        elif gap < 0:
            out.append(("i11.line.ahead", {"n": -gap, "day": c.line_day.isoformat()}))
        else:
            out.append(("i11.line.equal", {}))
    if c.sync_only:
        out.append(("i11.line.no_add_date", {"n": c.sync_only}))
    return out
