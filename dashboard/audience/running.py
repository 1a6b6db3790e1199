"""Running segment rules: exact counts, members, breakdowns, the interest x genre matrix, overlap
and daily sizes. The rule compiler is dashboard.audience.rules; the SQL around it is queries/segments/.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pandas as pd

from dashboard.core import config, queries
from dashboard.analytics import rollups
from dashboard.audience import rules as segments
from dashboard.warehouse import engine

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


def _run(cur, shape, compiled: segments.Compiled) -> pd.DataFrame:
    """Run one shape of a compiled audience (Compiled.counted, .user_ids) where the reads go
    (DASHBOARD_ENGINE: DuckDB, or the warehouse with the same rule in ClickHouse SQL)."""
    if engine.on_warehouse():
        return engine.warehouse().run_compiled(*shape(compiled.in_dialect("clickhouse")))
    return cur.execute(*shape(compiled)).df()


def count(cur, rule) -> int:
    return int(_run(cur, segments.Compiled.counted, compile_now(cur, rule)).iat[0, 0])


def members(cur, rule) -> pd.DataFrame:
    return _run(cur, segments.Compiled.user_ids, compile_now(cur, rule))


def materialise(cur, rule, table: str) -> None:
    # table names come from MEMBERS_TABLE / OVERLAP_TABLES only; a temp table lives in this cursor
    # (or in the warehouse session, where the segments' reads then go). The page's questions read
    # user_key only, so only the keys are written.
    if engine.on_warehouse():
        engine.warehouse().execute_compiled(*compile_now(cur, rule).in_dialect("clickhouse").keys_into(table))
        return
    cur.execute(*compile_now(cur, rule).keys_into(table))


# ---- the one audience query: a rule, then the exclusions ----------------------------------------

@dataclass(frozen=True)
class Exclusions:
    """Who a send leaves out, in this fixed order: not following (always), the frequency cap
    (`frequency_cap` or more messages received in 7 days; 0 = no cap), an excluded segment's
    members, friends already reached by e-mail (SHA-256 hashes of addresses)."""
    frequency_cap: int = 0
    exclude_rule: dict | None = None
    email_hashes: tuple[str, ...] = ()

    @classmethod
    def for_send(cls, frequency_cap: int | None = None, exclude_rule: dict | None = None,
                 email_hashes=None) -> "Exclusions":
        """The exclusions of a send: the configured cap (DASHBOARD_FREQUENCY_CAP) unless given."""
        cap = frequency_cap if frequency_cap is not None else config.get_int("DASHBOARD_FREQUENCY_CAP")
        return cls(max(0, cap or 0), exclude_rule or None, tuple(email_hashes or ()))


@dataclass(frozen=True)
class Recipients:
    """One compiled audience: `query` lists the final recipients (user_key, user_id); `stages`
    holds the audience before the exclusions and after each one — (code, reason params, query) —
    so that planning can count what each exclusion removed. Counting `query` and materialising it
    into the ledger run the very same text and values."""
    query: segments.Compiled
    base: segments.Compiled
    stages: tuple[tuple[str, dict, segments.Compiled], ...]
    # each exclusion on its own, in order: (code, keep, the step's members) — planning on the
    # warehouse judges some of them in DuckDB (dashboard/warehouse/send_audience.py)
    steps: tuple[tuple[str, bool, segments.Compiled], ...] = ()


def _condition(node: dict) -> dict:
    return {"version": segments.RULE_VERSION, "rule": node}


def recipients(rule, exclusions: Exclusions, as_of: dt.datetime, *, now: dt.datetime | None = None,
               tz: str | None = None) -> Recipients:
    """The members of `rule` as of `as_of` (the last rollup refresh, as the Segments page counts
    them), minus the exclusions. Following and the frequency cap are judged `now` (default: this
    instant), from the ledger and events as they are, so a send still going out counts against
    the cap. The excluded segment is evaluated as of `as_of`, like the rule."""
    now = now or dt.datetime.now(dt.timezone.utc)
    tz = tz or config.timezone()
    base = segments.compile_rule(rule, as_of, tz=tz, prefix="a")
    steps = [("not_following", True, segments.compile_rule(_condition({"field": "following", "value": True}), now,
                                                           use_rollup=False, tz=tz, prefix="f"), {})]
    if exclusions.frequency_cap > 0:
        cap = exclusions.frequency_cap
        steps.append(("frequency_cap", False,
                      segments.compile_rule(_condition({"field": "received", "min": cap, "within_days": 7}), now,
                                            use_rollup=False, tz=tz, prefix="c"), {"cap": cap}))
    if exclusions.exclude_rule:
        steps.append(("excluded_segment", False,
                      segments.compile_rule(exclusions.exclude_rule, as_of, tz=tz, prefix="e"), {}))
    if exclusions.email_hashes:
        steps.append(("email_reached", False,
                      segments.compile_rule(_condition({"field": "email_reached", "in": list(exclusions.email_hashes)}),
                                            now, use_rollup=False, tz=tz, prefix="m"), {}))
    narrowed = segments.narrowed(base, [(keep, compiled) for _, keep, compiled, _ in steps])
    stages = tuple((code, reason, query) for (code, _, _, reason), query in zip(steps, narrowed[1:]))
    return Recipients(query=narrowed[-1], base=narrowed[0], stages=stages,
                      steps=tuple((code, keep, compiled) for code, keep, compiled, _ in steps))


def reachable(cur, rule, frequency_cap: int | None = None) -> dict:
    """The Segments page's "reachable now after the frequency cap": the segment's members, those
    following now, and those a send would reach after the cap — the compose page's own query
    (recipients() with the configured cap, no excluded segment, no e-mail list)."""
    found = recipients(rule, Exclusions.for_send(frequency_cap), as_of(cur))
    counts = {"segment": cur.execute(*found.base.counted()).fetchone()[0]}
    for code, _, query in found.stages:
        counts[code] = cur.execute(*query.counted()).fetchone()[0]
    reach = cur.execute(*found.query.counted()).fetchone()[0]
    following = counts.get("not_following", counts["segment"])
    cap = Exclusions.for_send(frequency_cap).frequency_cap
    return {"segment": counts["segment"], "following": following, "reachable": reach,
            "capped": following - reach, "cap": cap}


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
    materialise(cur, rule, MEMBERS_TABLE)
    return queries.run(cur, "segments/breakdown")


def mask_user_id(user_id: str) -> str:
    """U8e742f61…36ef0 -> U8e74…6ef0: enough to tell members apart, not to message them."""
    if not isinstance(user_id, str) or len(user_id) < 10:
        return "…"
    return f"{user_id[:5]}…{user_id[-4:]}"


def sample(cur, rule, limit: int = 20, mask: bool = True) -> pd.DataFrame:
    materialise(cur, rule, MEMBERS_TABLE)
    frame = queries.run(cur, "segments/sample", limit=limit)
    if mask:
        frame["user_id"] = frame["user_id"].map(mask_user_id)
    return frame


def matrix(cur, rule=None) -> pd.DataFrame:
    """Interest level x genre counts of the rule's members (default: friends following now)."""
    materialise(cur, rule or everyone_following(), MEMBERS_TABLE)
    return queries.run(cur, "segments/interest_genre_matrix")


def overlap(cur, rules: list) -> pd.DataFrame:
    if not 2 <= len(rules) <= 3:
        raise ValueError("overlap needs two or three segments")
    for table, rule in zip(OVERLAP_TABLES, [*rules, None][:3]):
        if rule is None and engine.on_warehouse():
            engine.warehouse().execute_compiled(*segments.empty(table, "clickhouse"))
        elif rule is None:
            cur.execute(*segments.empty(table))
        else:
            materialise(cur, rule, table)
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
    return cur.execute(*segments.compile_rule(rule, end, use_rollup=False, tz=tz).counted()).fetchone()[0]
