"""One SQL source: queries/ in DuckDB SQL, turned into ClickHouse SQL at load.

A query's ClickHouse text is, in order:
1. `queries/clickhouse/<area>/<name>.sql` when it exists: an override, written by hand where
   transpiling is wrong (each says why in its header);
2. otherwise the DuckDB file transpiled with sqlglot, plus the few rewrites below that sqlglot does
   not make (measured: tests/test_warehouse_difference.py runs every read on both engines).

Both pass through `scoped()`: every warehouse table the query reads becomes
`(select * from t [final] where account_id = {account_id:String})`, so one cluster serves many
accounts and a dashboard process reads only its own (DASHBOARD_ACCOUNT_ID).

Parameters stay parameters: DuckDB's `$name` becomes ClickHouse's `{name:Type}`, the type taken
from the value bound (`bind()`), and the values travel beside the text to the driver — chdb's
`params=` or clickhouse-connect's server-side binding, the same text for both.
"""
from __future__ import annotations

import datetime as dt
import decimal
import re
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlglot
from sqlglot import exp

from dashboard.core import config, queries

OVERRIDES_DIR = queries.QUERIES_DIR / "clickhouse"
# The warehouse's tables (queries/clickhouse/schema.sql); anything else a query names is a temp
# table of the session (a segment's members) or a CTE.
TABLES = ("events", "friends", "friend_tags", "friend_attributes", "customers", "deliveries",
          "delivery_recipients", "segments", "delivery_stats", "site_visits", "inflow_routes",
          "segment_sizes", "rollup_friend_firsts", "rollup_active_spells", "rollup_delivery_route",
          "rollup_daily_route", "rollup_richmenu_daily", "rollup_friend_activity", "rollup_state",
          "insight_message_delivery", "rollup_delivery_reactors", "insight_followers")
# friend state is a ReplacingMergeTree: read with final (the newest snapshot of each friend)
REPLACING = ("friends",)
ACCOUNT = "account_id"
_MARK = "__param_{}__"
_MARKED = re.compile(r"__param_([a-z_][a-z0-9_]*)__")
_CH_PARAM = re.compile(r"\{([a-z_][a-z0-9_]*):\s*([^}]+)\}")


class DialectError(ValueError):
    pass


def override_path(name: str) -> Path:
    return OVERRIDES_DIR / f"{name}.sql"


def has_override(name: str) -> bool:
    return override_path(name).is_file()


# ---- rewrites sqlglot does not make -----------------------------------------------------------

def _rewrite(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Placeholder) and node.name:
        return exp.var(_MARK.format(node.name))
    if isinstance(node, exp.Length):
        # DuckDB len() of a list; sqlglot writes CHAR_LENGTH, which ClickHouse has for strings only
        return exp.Anonymous(this="length", expressions=[node.this])
    if isinstance(node, exp.TimeToUnix):
        # DuckDB epoch() keeps the microseconds; toUnixTimestamp would drop them
        micro = exp.Anonymous(this="toUnixTimestamp64Micro",
                              expressions=[exp.Anonymous(this="toDateTime64", expressions=[node.this, exp.Literal.number(6)])])
        return exp.Div(this=micro, expression=exp.Literal.number("1e6"))
    if isinstance(node, exp.Anonymous) and str(node.this).lower() == "epoch_us":
        # DuckDB epoch_us(): microseconds since the epoch (sqlglot leaves it as it is, unknown to ClickHouse)
        return exp.Anonymous(this="toUnixTimestamp64Micro",
                             expressions=[exp.Anonymous(this="toDateTime64", expressions=[*node.expressions, exp.Literal.number(6)])])
    if isinstance(node, exp.ToDays):
        # DuckDB to_days(n) is an interval of n days; sqlglot writes toDaysSinceYearZero (a date's day number)
        return exp.Anonymous(this="toIntervalDay", expressions=[node.this])
    if isinstance(node, (exp.LogicalOr, exp.LogicalAnd)):
        # bool_or / bool_and: max / min of a boolean (sqlglot writes LOGICAL_OR, unknown to ClickHouse)
        return exp.Anonymous(this="max" if isinstance(node, exp.LogicalOr) else "min", expressions=[node.this])
    return node


def _scope(node: exp.Expression, ctes: set[str]) -> exp.Expression:
    if isinstance(node, exp.Table) and not node.args.get("db") and node.name in TABLES \
            and node.name not in ctes:
        alias = node.alias or node.name
        table = exp.Table(this=exp.to_identifier(node.name))
        if node.name in REPLACING:
            table = exp.Final(this=table)
        inner = exp.select("*").from_(table).where(
            exp.EQ(this=exp.column(ACCOUNT), expression=exp.var(_MARK.format(ACCOUNT))))
        return exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier(alias)))
    return node


def _named(tree: exp.Expression) -> None:
    """`select f.user_id` is named `user_id` in DuckDB and `f.user_id` in ClickHouse: say it."""
    for select in tree.find_all(exp.Select):
        # (`select d.*` stays as it is: its columns keep their own names)
        select.set("expressions", [exp.alias_(e, e.name) if isinstance(e, exp.Column) and e.table
                                   and not isinstance(e.this, exp.Star) else e
                                   for e in select.expressions])


def transpile(duckdb_sql: str) -> str:
    """ClickHouse text of one DuckDB statement, with parameters marked (see `bind`)."""
    tree = sqlglot.parse_one(duckdb_sql, read="duckdb")
    _named(tree)
    tree = tree.transform(_rewrite)
    return scoped(tree.sql("clickhouse", comments=False))


def scoped(clickhouse_sql: str) -> str:
    """Every warehouse table read in `clickhouse_sql` narrowed to this account (parameters marked)."""
    text = _CH_PARAM.sub(lambda m: _MARK.format(m.group(1)), clickhouse_sql)
    tree = sqlglot.parse_one(text, read="clickhouse")
    ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
    return tree.transform(lambda n: _scope(n, ctes)).sql("clickhouse", comments=False)


@lru_cache(maxsize=None)
def clickhouse_sql(name: str) -> str:
    """The ClickHouse text of query `name` (override or transpiled), parameters marked."""
    path = override_path(name)
    if path.is_file():
        return scoped(path.read_text(encoding="utf-8"))
    return transpile(queries.sql(name))


def parameters(marked_sql: str) -> set[str]:
    return set(_MARKED.findall(marked_sql))


# ---- values -----------------------------------------------------------------------------------

def _type(value) -> str:
    if value is None:
        return "Nullable(String)"
    if isinstance(value, bool):
        return "Bool"
    if isinstance(value, int):
        return "Int64"
    if isinstance(value, float):
        return "Float64"
    if isinstance(value, decimal.Decimal):
        return "Decimal(38, 6)"
    if isinstance(value, dt.datetime):
        return "DateTime64(6)"
    if isinstance(value, dt.date):
        return "Date"
    if isinstance(value, str):
        return "String"
    if isinstance(value, (list, tuple)):
        inner = {_type(v) for v in value if v is not None}
        if len(inner) > 1:
            raise DialectError(f"a list of mixed types cannot be bound: {sorted(inner)}")
        base = inner.pop() if inner else "String"
        return f"Array({'Nullable(' + base + ')' if any(v is None for v in value) else base})"
    raise DialectError(f"no ClickHouse type for a {type(value).__name__}")


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def _quoted(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _text(value, tz: ZoneInfo, inside: bool = False) -> str:
    """A value in ClickHouse's text format for query parameters (the driver sends it apart)."""
    if value is None:
        return "NULL" if inside else "\\N"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:   # an instant: said in the session's zone, which reads it
            value = value.astimezone(tz).replace(tzinfo=None)
        out = value.strftime("%Y-%m-%d %H:%M:%S.%f")
        return _quoted(out) if inside else out
    if isinstance(value, dt.date):
        return _quoted(value.isoformat()) if inside else value.isoformat()
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_text(v, tz, inside=True) for v in value) + "]"
    if isinstance(value, str):
        return _quoted(value) if inside else _escape(value)
    return str(value)


def bind(marked_sql: str, params: dict, *, tz: str | None = None) -> tuple[str, dict[str, str]]:
    """The text with `{name:Type}` for each parameter, and the values in ClickHouse's text format."""
    zone = ZoneInfo(tz or config.timezone())
    wanted = parameters(marked_sql)
    missing = wanted - params.keys()
    if missing:
        raise DialectError(f"parameter(s) {', '.join(sorted(missing))} not given")
    sql = _MARKED.sub(lambda m: "{" + m.group(1) + ":" + _type(params[m.group(1)]) + "}", marked_sql)
    return sql, {k: _text(params[k], zone) for k in wanted}
