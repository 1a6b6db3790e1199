"""Running segment rules: exact counts, members, breakdowns, the interest x genre matrix, overlap
and daily sizes. The rule compiler is dashboard.audience.rules; the SQL around it is queries/segments/.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd

from dashboard.core import config, queries
from dashboard.analytics import rollups
from dashboard.audience import rules as segments

queries.require("segments/breakdown", "segments/sample", "segments/interest_genre_matrix",
                "segments/overlap", "segments/sizes", "segments/options")

MEMBERS_TABLE = "segment_members"
OVERLAP_TABLES = ("segment_a", "segment_b", "segment_c")


def as_of(cur) -> dt.datetime:
    """The instant rules are evaluated at: the last rollup refresh (interest levels are as of it)."""
    state = rollups.state(cur)
    if state and state["as_of"] is not None:
        return state["as_of"]
    return dt.datetime.now(dt.timezone.utc)


def compile_now(cur, rule) -> segments.Compiled:
    return segments.compile_rule(rule, as_of(cur))


def count(cur, rule) -> int:
    compiled = compile_now(cur, rule)
    return cur.execute(f"select count(*) from ({compiled.sql})", compiled.params).fetchone()[0]


def members(cur, rule) -> pd.DataFrame:
    compiled = compile_now(cur, rule)
    return cur.execute(f"select user_id from ({compiled.sql}) order by user_id", compiled.params).df()


def _materialise(cur, rule, table: str) -> None:
    # table names come from MEMBERS_TABLE / OVERLAP_TABLES only; a temp table lives in this cursor
    compiled = compile_now(cur, rule)
    cur.execute(f"create or replace temp table {table} as select user_key from ({compiled.sql})",
                compiled.params)


def options(cur) -> dict[str, list]:
    """What the rule builder offers in its pickers (free text is accepted too)."""
    frame = queries.run(cur, "segments/options")
    out = {kind: frame.loc[frame["kind"] == kind, "value"].tolist()
           for kind in ("tag", "attribute_key", "area", "category", "genre", "delivery")}
    out["delivery_titles"] = dict(zip(frame.loc[frame["kind"] == "delivery", "value"],
                                      frame.loc[frame["kind"] == "delivery", "label"]))
    return out


def everyone_following() -> dict:
    return segments.EMPTY_RULE


def breakdown(cur, rule) -> pd.DataFrame:
    _materialise(cur, rule, MEMBERS_TABLE)
    return queries.run(cur, "segments/breakdown")


def mask_user_id(user_id: str) -> str:
    """U8e742f61…36ef0 -> U8e74…6ef0: enough to tell members apart, not to message them."""
    if not isinstance(user_id, str) or len(user_id) < 10:
        return "…"
    return f"{user_id[:5]}…{user_id[-4:]}"


def sample(cur, rule, limit: int = 20, mask: bool = True) -> pd.DataFrame:
    _materialise(cur, rule, MEMBERS_TABLE)
    frame = queries.run(cur, "segments/sample", limit=limit)
    if mask:
        frame["user_id"] = frame["user_id"].map(mask_user_id)
    return frame


def matrix(cur, rule=None) -> pd.DataFrame:
    """Interest level x genre counts of the rule's members (default: friends following now)."""
    _materialise(cur, rule or everyone_following(), MEMBERS_TABLE)
    return queries.run(cur, "segments/interest_genre_matrix")


def overlap(cur, rules: list) -> pd.DataFrame:
    if not 2 <= len(rules) <= 3:
        raise ValueError("overlap needs two or three segments")
    for table, rule in zip(OVERLAP_TABLES, [*rules, None][:3]):
        if rule is None:
            cur.execute(f"create or replace temp table {table} (user_key integer)")
        else:
            _materialise(cur, rule, table)
    return queries.run(cur, "segments/overlap")


def uses_rollup_only_fields(rule) -> bool:
    text = str(segments.parse(rule)["rule"])
    return any(f"'field': '{name}'" in text for name in segments.NEEDS_ROLLUP)


def size_on_day(cur, rule, day: dt.date, tz: str | None = None) -> int | None:
    """Members at the end of a past day (rule evaluated as of the next midnight), from events;
    None when the rule uses interest or genre, which are known only as of the last refresh.
    Tags, attributes and CRM fields have no history: their current values are used."""
    if uses_rollup_only_fields(rule):
        return None
    tz = tz or config.timezone()
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), ZoneInfo(tz))
    compiled = segments.compile_rule(rule, end, use_rollup=False, tz=tz)
    return cur.execute(f"select count(*) from ({compiled.sql})", compiled.params).fetchone()[0]
