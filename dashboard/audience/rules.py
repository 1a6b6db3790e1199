"""Segment rules: the model, its validation, and the compiler to one parameterised DuckDB query.

A rule is JSON (documented in the README):

    {"version": 1,
     "rule": {"all": [{"field": "interest", "in": ["hot", "warm"]},
                      {"field": "route", "in": ["thanks_page"]},
                      {"not": {"field": "purchased", "within_days": 90}}]}}

A node is a group — {"all": [...]} (AND), {"any": [...]} (OR), {"not": node} — or a condition
{"field": <name>, ...}. Groups nest to any depth. The compiler turns every condition into a fixed
SQL fragment from CONDITIONS below: every value is a bound parameter ($p0, $p1, … named by the
compiler), every identifier comes from this file. An invalid rule raises RuleError naming the
condition by its path (rule.all[2].not) and saying why.

Everything relative ("within 30 days") is relative to one instant, `as_of`: by default the last
rollup refresh, which is when rollup_friend_activity's counts were taken, so that conditions it
answers exactly can read it instead of scanning events.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from dashboard.core import config

RULE_VERSION = 1
MAX_DEPTH = 8
MAX_CONDITIONS = 50
MAX_LIST = 200_000  # e-mail lists can be long
MAX_TEXT = 500
MAX_RULE_CHARS = 16 * 1024 * 1024   # checked before parsing: a 680 MB rule took 8.5 GB (issue 12)
REACTION_TYPES = ("message", "postback", "richmenu_tap", "survey_answer", "link_click")
INTEREST_LEVELS = ("hot", "warm", "cold", "dormant")
ROLLUP_WINDOWS = {7: "reactions_7d", 30: "reactions_30d", 90: "reactions_90d"}


class RuleError(ValueError):
    """An invalid rule; the message names the condition (by path) and the reason.

    The reason is a code with parameters (i18n keys `rule.err.<code>`): str() is its English text, for
    the command line and the tests; `text(lang)` says it in the page's language."""

    def __init__(self, path: str, code: str, **params):
        self.path, self.code, self.params = path, code, params
        self.reason = self._reason("en")
        super().__init__(f"{path}: {self.reason}")

    def _reason(self, lang: str) -> str:
        from dashboard.core.i18n import t

        return t(f"rule.err.{self.code}", lang, **{k: v if isinstance(v, (int, float)) else str(v)
                                                   for k, v in self.params.items()})

    def text(self, lang: str) -> str:
        return f"{self.path}: {self._reason(lang)}" if lang == "en" else f"{self._reason(lang)}（場所: {self.path}）"


# ---- validation helpers -----------------------------------------------------------------------

def _int(node: dict, key: str, path: str, *, low: int = 0, high: int = 10_000, required: bool = True):
    value = node.get(key)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise RuleError(path, "whole", item=key)
    if not low <= value <= high:
        raise RuleError(path, "range", item=key, low=low, high=high, value=value)
    return value


def _number(node: dict, key: str, path: str, required: bool = True):
    value = node.get(key)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        raise RuleError(path, "number", item=key)
    return float(value)


def _text(node: dict, key: str, path: str, required: bool = True):
    value = node.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise RuleError(path, "text", item=key)
    if len(value) > MAX_TEXT:
        raise RuleError(path, "text_long", item=key, max=MAX_TEXT)
    return value


def _texts(node: dict, key: str, path: str, allowed: tuple[str, ...] | None = None) -> list[str]:
    value = node.get(key)
    if not isinstance(value, list) or not value:
        raise RuleError(path, "list_empty", item=key)
    if len(value) > MAX_LIST:
        raise RuleError(path, "list_long", item=key, max=MAX_LIST)
    if not all(isinstance(v, str) and len(v) <= MAX_TEXT for v in value):
        raise RuleError(path, "list_items", item=key, max=MAX_TEXT)
    if allowed is not None:
        unknown = [v for v in value if v not in allowed]
        if unknown:
            raise RuleError(path, "list_unknown", item=key, unknown=unknown, allowed=", ".join(allowed))
    return list(dict.fromkeys(value))  # drop repeats, keep order


def _date(node: dict, key: str, path: str) -> dt.date:
    value = node.get(key)
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise RuleError(path, "date", item=key) from None


def _only(node: dict, path: str, keys: set[str]) -> None:
    extra = set(node) - keys - {"field"}
    if extra:
        raise RuleError(path, "keys", extra=sorted(extra), allowed=sorted(keys))


# ---- the compiler's state ---------------------------------------------------------------------

@dataclass
class _Compiler:
    as_of: dt.datetime
    tz: str
    use_rollup: bool
    params: dict = field(default_factory=dict)

    def bind(self, value) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f"${name}"

    def day_start(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(), ZoneInfo(self.tz))


# Every fragment is a boolean SQL expression over `f` (a row of friends). `$as_of` is bound once.
FOLLOWING_AT_AS_OF = ("(f.followed_at < $as_of and (f.blocked_at is null or f.blocked_at >= $as_of "
                      "or (f.last_followed_at > f.blocked_at and f.last_followed_at < $as_of)))")


def _following(c: _Compiler, n: dict, path: str) -> str:
    _only(n, path, {"value"})
    value = n.get("value", True)
    if not isinstance(value, bool):
        raise RuleError(path, "following")
    return FOLLOWING_AT_AS_OF if value else f"(not {FOLLOWING_AT_AS_OF})"


def _followed(c: _Compiler, n: dict, path: str) -> str:
    _only(n, path, {"within_days", "from", "to"})
    if "within_days" in n:
        if "from" in n or "to" in n:
            raise RuleError(path, "followed_both")
        days = c.bind(_int(n, "within_days", path, low=1, high=3650))
        return f"(f.followed_at >= $as_of - to_days({days}::integer) and f.followed_at < $as_of)"
    if "from" not in n or "to" not in n:
        raise RuleError(path, "followed_needs")
    first, last = _date(n, "from", path), _date(n, "to", path)
    if last < first:
        raise RuleError(path, "followed_order", first=first, last=last)
    start = c.bind(c.day_start(first))
    end = c.bind(c.day_start(last + dt.timedelta(days=1)))
    return f"(f.followed_at >= {start} and f.followed_at < {end})"


def _route(c: _Compiler, n: dict, path: str) -> str:
    _only(n, path, {"in"})
    return f"list_contains({c.bind(_texts(n, 'in', path))}::varchar[], f.inflow_route)"


def _tags(c: _Compiler, n: dict, path: str) -> str:
    _only(n, path, {"match", "tags"})
    match = n.get("match", "any")
    if match not in ("any", "all", "none"):
        raise RuleError(path, "match")
    tags = _texts(n, "tags", path)
    p = c.bind(tags)
    # "all" counts the distinct tags per friend; "any" and "none" need no grouping (an `in` is a
    # semi join: it keeps each friend once however many tags match; grouping cost 55 ms at 1M)
    # Matched on the integer user_key, not the 33-character user_id: a count then never reads the
    # friends' user IDs (159 → 41 ms for the 5-condition count at 1M). Every write of friend_tags
    # takes user_key from friends; `is not null` keeps a `not in` true for a row that had none.
    grouped = f" group by user_key having count(distinct tag) = {c.bind(len(tags))}" if match == "all" else ""
    subquery = (f"(select user_key from friend_tags where list_contains({p}::varchar[], tag) "
                f"and user_key is not null{grouped})")
    return f"(f.user_key not in {subquery})" if match == "none" else f"(f.user_key in {subquery})"


_ATTRIBUTE_OPS = {
    "eq": "value = {v}", "ne": "value <> {v}", "in": "list_contains({v}::varchar[], value)",
    "contains": "contains(lower(value), lower({v}))",
    "lt": "try_cast(value as double) < {v}", "le": "try_cast(value as double) <= {v}",
    "gt": "try_cast(value as double) > {v}", "ge": "try_cast(value as double) >= {v}",
}


def _attribute(c: _Compiler, n: dict, path: str) -> str:
    _only(n, path, {"key", "op", "value"})
    key = _text(n, "key", path)
    op = n.get("op", "eq")
    if not isinstance(op, str) or op not in _ATTRIBUTE_OPS:   # a list is unhashable: say so, no TypeError
        raise RuleError(path, "op", ops=", ".join(_ATTRIBUTE_OPS))
    if op == "in":
        value = _texts(n, "value", path)
    elif op in ("lt", "le", "gt", "ge"):
        value = _number(n, "value", path)
    else:
        value = _text(n, "value", path)
    test = _ATTRIBUTE_OPS[op].format(v=c.bind(value))
    return (f"(f.user_key in (select user_key from friend_attributes "   # the integer key: see _tags
            f"where key = {c.bind(key)} and {test}))")


def _customer(c: _Compiler, n: dict, path: str) -> str:
    _only(n, path, {"linked"})
    linked = n.get("linked", True)
    if not isinstance(linked, bool):
        raise RuleError(path, "linked")
    return "(f.customer_id is not null)" if linked else "(f.customer_id is null)"


def _purchased(c: _Compiler, n: dict, path: str) -> str:
    _only(n, path, {"within_days", "category"})
    days = _int(n, "within_days", path, low=1, high=3650)
    category = _text(n, "category", path, required=False)
    if category is None and c.use_rollup:
        # last purchase before as_of, from the activity rollup taken at this very as_of
        return (f"(f.user_key in (select user_key from rollup_friend_activity "
                f"where last_purchase_at >= $as_of - to_days({c.bind(days)}::integer)))")
    where = "" if category is None else f" and detail = {c.bind(category)}"
    return (f"(f.user_key in (select user_key from events where type in ('purchase', 'conversion') "
            f"and occurred_at >= $as_of - to_days({c.bind(days)}::integer) and occurred_at < $as_of{where}))")


def _never_purchased(c: _Compiler, n: dict, path: str) -> str:
    _only(n, path, set())
    # no purchase event before as_of, and no CRM customer record with orders (CRM has no history)
    return ("(f.user_key not in (select user_key from events where type in ('purchase', 'conversion') "
            "and occurred_at < $as_of and user_key is not null) "
            "and (f.customer_id is null or f.customer_id not in "
            "(select customer_id from customers where orders > 0)))")


def _customer_range(column: str):
    def compile_range(c: _Compiler, n: dict, path: str) -> str:
        _only(n, path, {"min", "max"})
        low, high = _number(n, "min", path, required=False), _number(n, "max", path, required=False)
        if low is None and high is None:
            raise RuleError(path, "min_max")
        if low is not None and high is not None and high < low:
            raise RuleError(path, "max_below", high=high, low=low)
        tests = [f"{column} >= {c.bind(low)}" if low is not None else "true",
                 f"{column} <= {c.bind(high)}" if high is not None else "true"]
        return (f"(f.customer_id in (select customer_id from customers where "
                f"{' and '.join(tests)}))")
    return compile_range


def _reactions(c: _Compiler, n: dict, path: str) -> str:
    _only(n, path, {"type", "min", "within_days"})
    kind = n.get("type", "any")
    if kind != "any" and kind not in REACTION_TYPES:
        raise RuleError(path, "reaction_type", types=", ".join(REACTION_TYPES))
    least = _int(n, "min", path, low=1, high=100_000)
    days = _int(n, "within_days", path, low=1, high=3650)
    if kind == "any" and days in ROLLUP_WINDOWS and c.use_rollup:
        return (f"(f.user_key in (select user_key from rollup_friend_activity "
                f"where {ROLLUP_WINDOWS[days]} >= {c.bind(least)}))")
    types = list(REACTION_TYPES) if kind == "any" else [kind]
    return (f"(f.user_key in (select user_key from events "
            f"where occurred_at >= $as_of - to_days({c.bind(days)}::integer) and occurred_at < $as_of "
            f"and list_contains({c.bind(types)}::varchar[], type) "
            f"group by user_key having count(*) >= {c.bind(least)}))")


def _richmenu_tap(c: _Compiler, n: dict, path: str) -> str:
    _only(n, path, {"area", "within_days"})
    area = _text(n, "area", path)
    days = _int(n, "within_days", path, low=1, high=3650)
    return (f"(f.user_key in (select user_key from events where type = 'richmenu_tap' "
            f"and detail = {c.bind(area)} and occurred_at >= $as_of - to_days({c.bind(days)}::integer) "
            f"and occurred_at < $as_of))")


def _clicked(c: _Compiler, n: dict, path: str) -> str:
    _only(n, path, {"delivery_id"})
    delivery = _text(n, "delivery_id", path)
    return (f"(f.user_key in (select user_key from events where type = 'link_click' "
            f"and delivery_id = {c.bind(delivery)} and occurred_at < $as_of))")


def _received(c: _Compiler, n: dict, path: str) -> str:
    _only(n, path, {"min", "within_days"})
    least = _int(n, "min", path, low=1, high=10_000)
    days = c.bind(_int(n, "within_days", path, low=1, high=3650))
    def window(alias: str) -> str:
        return f"{alias}.sent_at >= $as_of - to_days({days}::integer) and {alias}.sent_at < $as_of"

    # Ledger rows for sends with a ledger; broadcasts (no ledger: LINE sends to every follower)
    # count for everyone following at their send time.
    # Ledger rows sent, or still planned in a live delivery (in flight or scheduled), count: the
    # frequency cap must see a send that has not finished yet.
    ledger_time = "coalesce(r.sent_at, d.scheduled_at, d.created_at)"
    # Not a correlated subquery per friend: ClickHouse miscounts those when the correlated columns
    # are nullable (blocked_at; measured by tests/test_warehouse_difference.py), so the messages are
    # counted per user once, ledger rows and broadcasts together (the same count as before).
    return (f"(f.user_id in (select user_id from ("
            f"select r.user_id from delivery_recipients r join deliveries d on d.delivery_id = r.delivery_id "
            f"where (r.status = 'sent' or (r.status = 'planned' "
            f"and d.status not in ('failed', 'cancelled', 'stopped'))) "
            f"and {ledger_time} >= $as_of - to_days({days}::integer) and {ledger_time} < $as_of "
            f"union all select g.user_id from friends g, deliveries d where d.kind = 'broadcast' and d.status = 'sent' "
            f"and {window('d')} and g.followed_at < d.sent_at and (g.blocked_at is null "
            f"or g.blocked_at >= d.sent_at or (g.last_followed_at > g.blocked_at "
            f"and g.last_followed_at < d.sent_at))) "
            f"group by user_id having count(*) >= {c.bind(least)}))")


def _interest(c: _Compiler, n: dict, path: str) -> str:
    _only(n, path, {"in"})
    levels = _texts(n, "in", path, INTEREST_LEVELS)
    return (f"(f.user_key in (select user_key from rollup_friend_activity "
            f"where list_contains({c.bind(levels)}::varchar[], interest_level)))")


def _genre(c: _Compiler, n: dict, path: str) -> str:
    _only(n, path, {"in"})
    return (f"(f.user_key in (select user_key from rollup_friend_activity "
            f"where list_contains({c.bind(_texts(n, 'in', path))}::varchar[], genre)))")


def _email_reached(c: _Compiler, n: dict, path: str) -> str:
    _only(n, path, {"in"})
    hashes = _texts(n, "in", path)
    return (f"(f.customer_id in (select customer_id from customers "
            f"where list_contains({c.bind(hashes)}::varchar[], email_hash)))")


CONDITIONS = {
    "following": _following, "followed": _followed, "route": _route, "tags": _tags,
    "attribute": _attribute, "customer": _customer, "purchased": _purchased,
    "never_purchased": _never_purchased, "orders": _customer_range("orders"),
    "revenue": _customer_range("revenue"), "reactions": _reactions, "richmenu_tap": _richmenu_tap,
    "clicked": _clicked, "received": _received, "interest": _interest, "genre": _genre,
    "email_reached": _email_reached,
}
# interest and genre are defined only by the rollup (as of its refresh)
NEEDS_ROLLUP = {"interest", "genre"}


def _node(c: _Compiler, node, path: str, depth: int, counter: list[int], negated: bool = False) -> str:
    if depth > MAX_DEPTH:
        raise RuleError(path, "depth", max=MAX_DEPTH)
    if not isinstance(node, dict):
        raise RuleError(path, "not_object")
    groups = [k for k in ("all", "any", "not") if k in node]
    if groups and "field" in node:
        raise RuleError(path, "both")
    if len(groups) > 1 or (groups and len(node) > 1):
        raise RuleError(path, "group_key")
    if groups:
        kind = groups[0]
        if kind == "not":
            return f"(not {_node(c, node['not'], f'{path}.not', depth + 1, counter, not negated)})"
        children = node[kind]
        if not isinstance(children, list) or not children:
            raise RuleError(f"{path}.{kind}", "group_empty")
        joiner = " and " if kind == "all" else " or "
        parts = [_node(c, child, f"{path}.{kind}[{i}]", depth + 1, counter, negated)
                 for i, child in enumerate(children)]
        return "(" + joiner.join(parts) + ")"
    name = node.get("field")
    if not isinstance(name, str) or name not in CONDITIONS:   # a list or object is no field name
        raise RuleError(path, "field", name=repr(name), known=", ".join(sorted(CONDITIONS)))
    counter[0] += 1
    if counter[0] > MAX_CONDITIONS:
        raise RuleError(path, "too_many", max=MAX_CONDITIONS)
    if name in NEEDS_ROLLUP and not c.use_rollup:
        raise RuleError(path, "rollup_only", name=name)
    # coalesce: a condition on a missing value (no route, no attribute) is false, and so its
    # negation is true, never SQL's unknown that would drop the friend from both. Only under an odd
    # number of nots can unknown and false differ: with and / or / not in SQL's three-valued logic, a
    # WHERE that is true with an unknown there is true whatever it stands for, and "not true" drops
    # the row either way. Elsewhere the bare condition lets DuckDB plan an `in (subquery)` as a semi
    # join it can reorder, not a mark join per condition in the written order (issue 18: the
    # 5-condition count at 1M friends).
    sql = CONDITIONS[name](c, node, f"{path} (field {name!r})")
    return f"coalesce({sql}, false)" if negated else sql


@dataclass(frozen=True)
class Compiled:
    sql: str            # select user_key, user_id from friends … (one row per member)
    params: dict
    as_of: dt.datetime
    dialect: str = "duckdb"   # or "clickhouse": the same rule for the warehouse (issue 17)

    def in_dialect(self, dialect: str) -> "Compiled":
        """The same audience in `dialect`: "duckdb" as compiled, or "clickhouse" transpiled by the
        warehouse's dialect step (its parameters still bound by the driver, never spelt in)."""
        if dialect == self.dialect:
            return self
        if (self.dialect, dialect) != ("duckdb", "clickhouse"):
            raise ValueError(f"cannot turn {self.dialect} into {dialect}")
        from dashboard.warehouse import dialect as warehouse_dialect

        return Compiled(warehouse_dialect.transpile(self.sql), self.params, self.as_of, "clickhouse")

    # The fixed shapes a compiled audience is run in. They live here, in the one module that
    # assembles SQL, so that no caller glues text around a compiled query.
    def counted(self) -> tuple[str, dict]:
        """One row: how many members."""
        return f"select count(*) from ({self.sql})", self.params

    def user_ids(self) -> tuple[str, dict]:
        """One row per member: user_id, in user_id order."""
        return f"select user_id from ({self.sql}) order by user_id", self.params

    def rows(self) -> tuple[str, dict]:
        """Every column of every member row (a `flagged` audience's stage flags)."""
        return f"select * from ({self.sql})", self.params

    def into(self, table: str) -> tuple[str, dict]:
        """Materialise the members (user_key, user_id) into a temp table named in TEMP_TABLES."""
        if table not in TEMP_TABLES:
            raise ValueError(f"{table!r} is not one of the audience's temp tables")
        if self.dialect == "clickhouse":   # a temporary table of the warehouse session
            return (f"create or replace temporary table {table} engine = Memory as "
                    f"select user_key, user_id from ({self.sql})"), self.params
        return f"create or replace temp table {table} as select user_key, user_id from ({self.sql})", self.params

    def keys_into(self, table: str) -> tuple[str, dict]:
        """Materialise only the members' user_key (the Segments page's breakdown, sample, matrix and
        overlap join on it): not writing a million 33-character user IDs halves the work."""
        if table not in TEMP_TABLES:
            raise ValueError(f"{table!r} is not one of the audience's temp tables")
        if self.dialect == "clickhouse":
            return (f"create or replace temporary table {table} engine = Memory as "
                    f"select user_key from ({self.sql})"), self.params
        return f"create or replace temp table {table} as select user_key from ({self.sql})", self.params


# temp tables an audience is materialised into (segments' breakdowns, overlaps, the send plan)
TEMP_TABLES = ("segment_members", "segment_a", "segment_b", "segment_c", "plan_audience")


def empty(table: str, dialect: str = "duckdb") -> tuple[str, dict]:
    """An empty audience in a temp table named in TEMP_TABLES (a third overlap segment not chosen)."""
    if table not in TEMP_TABLES:
        raise ValueError(f"{table!r} is not one of the audience's temp tables")
    if dialect == "clickhouse":
        return (f"create or replace temporary table {table} (user_key Nullable(Int32), user_id String) "
                f"engine = Memory"), {}
    return f"create or replace temp table {table} (user_key integer, user_id varchar)", {}


def drop(table: str) -> tuple[str, dict]:
    """Drop a temp table an audience was materialised into (one of TEMP_TABLES)."""
    if table not in TEMP_TABLES:
        raise ValueError(f"{table!r} is not one of the audience's temp tables")
    return f"drop table if exists {table}", {}


def source(sql: str, params: dict) -> Compiled:
    """A query handed over as text and values (the benchmark's synthetic audience): one object."""
    return Compiled(sql, dict(params), dt.datetime.now(dt.timezone.utc))


def narrowed(base: Compiled, steps: list[tuple[bool, Compiled]]) -> list[Compiled]:
    """The audience `base` after each step in order: (keep, compiled) keeps members who are in
    (keep=True) or not in (keep=False) the step's members. Returns one query per step, each the
    previous one narrowed by that step, so every exclusion can be counted on its own: the first is
    the base before any step, the last the final audience. Parameter names must not clash (compile
    each rule with its own prefix)."""
    sql, params = f"select m.user_key, m.user_id from ({base.sql}) m where true", dict(base.params)
    out = [Compiled(sql, dict(params), base.as_of)]
    for keep, compiled in steps:
        sql += f" and m.user_key {'in' if keep else 'not in'} (select user_key from ({compiled.sql}))"
        params.update(compiled.params)
        out.append(Compiled(sql, dict(params), base.as_of))
    return out


def flagged(base: Compiled, stages: list[Compiled]) -> Compiled:
    """One row per member of `base` (user_key, user_id) with in_1 … in_n: whether the member is in
    each of `stages` (base narrowed, see `narrowed`). Every count of a send's plan and its final
    audience then come from one read (a send planned on the warehouse, issue 17)."""
    flags = "".join(f", m.user_key in (select user_key from ({s.sql})) as in_{i}" for i, s in enumerate(stages, 1))
    params = dict(base.params)
    for s in stages:
        params.update(s.params)
    return Compiled(f"select m.user_key, m.user_id{flags} from ({base.sql}) m", params, base.as_of, base.dialect)


def parse(rule) -> dict:
    """A rule from JSON text or a dict, checked for its envelope."""
    if isinstance(rule, (str, bytes)):
        if len(rule) > MAX_RULE_CHARS:
            raise RuleError("rule", "too_big", mb=MAX_RULE_CHARS // (1024 * 1024))
        try:
            rule = json.loads(rule)
        except json.JSONDecodeError as exc:
            raise RuleError("rule", "json", msg=exc.msg, line=exc.lineno) from None
        except (RecursionError, UnicodeDecodeError):
            raise RuleError("rule", "json_deep") from None
    if not isinstance(rule, dict):
        raise RuleError("rule", "envelope")
    if rule.get("version") != RULE_VERSION:
        raise RuleError("version", "version", v=RULE_VERSION)
    if set(rule) - {"version", "rule"} or "rule" not in rule:
        raise RuleError("rule", "envelope_keys")
    return rule


def compile_rule(rule, as_of: dt.datetime, *, use_rollup: bool = True, tz: str | None = None,
                 prefix: str = "p") -> Compiled:
    """Compile to one query listing the members. `use_rollup` must be False unless `as_of` is the
    activity rollup's own as_of (then interest and genre are unavailable). `prefix` names the
    parameters ($p0, $p1, $p_as_of …) so that two compiled rules can sit in one query."""
    rule = parse(rule)
    c = _Compiler(as_of=as_of, tz=tz or config.timezone(), use_rollup=use_rollup)
    c.params["as_of"] = as_of
    predicate = _node(c, rule["rule"], "rule", 0, [0])
    sql = f"select f.user_key, f.user_id from friends f where f.followed_at < $as_of and {predicate}"
    if prefix != "p":  # our own placeholders only: values never appear in the SQL text
        sql = re.sub(r"\$p(\d+)\b", lambda m: f"${prefix}{m.group(1)}", sql)
        params = {(f"{prefix}{k[1:]}" if k != "as_of" else f"{prefix}_as_of"): v for k, v in c.params.items()}
        sql = sql.replace("$as_of", f"${prefix}_as_of")
        return Compiled(sql, params, as_of)
    return Compiled(sql, dict(c.params), as_of)


def validate(rule) -> None:
    compile_rule(rule, dt.datetime.now(dt.timezone.utc))


EMPTY_RULE = {"version": RULE_VERSION, "rule": {"all": [{"field": "following", "value": True}]}}
