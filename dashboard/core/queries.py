"""SQL files in queries/, loaded once by name and run with bound parameters.

A query's name is its path under queries/ without `.sql` (`overview/new_friends`). Like listmonk,
every name the code uses is checked when the module loads: a missing or misspelt file stops the
program at start, not when an operator opens a page.
"""
from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache

import duckdb
import pandas as pd

from dashboard.core import config

QUERIES_DIR = config.ROOT / "queries"
_PARAM = re.compile(r"\$([a-z_][a-z0-9_]*)")
_COMMENT = re.compile(r"--[^\n]*")


class QueryError(KeyError):
    pass


REQUIRED: set[str] = set()  # every name some module declared it uses (a test finds orphans)


@lru_cache(maxsize=1)
def load_all() -> dict[str, str]:
    found = {}
    for path in QUERIES_DIR.rglob("*.sql"):
        rel = path.relative_to(QUERIES_DIR)
        # clickhouse/: the warehouse's overrides and DDL in ClickHouse SQL (dashboard/warehouse/dialect.py)
        if rel.parts[0] in ("migrations", "clickhouse") or rel.name == "schema.sql":
            continue
        found[rel.with_suffix("").as_posix()] = path.read_text(encoding="utf-8")
    return found


def require(*names: str) -> None:
    """Fail now if any of these queries does not exist."""
    REQUIRED.update(names)
    missing = [n for n in names if n not in load_all()]
    if missing:
        raise QueryError(f"missing query file(s): {', '.join(sorted(missing))} under {QUERIES_DIR}")


def sql(name: str) -> str:
    require(name)
    return load_all()[name]


def parameters(name: str) -> set[str]:
    """Named parameters ($name) the query uses, ignoring comments."""
    return set(_PARAM.findall(_COMMENT.sub("", sql(name))))


def _bound(name: str, params: dict) -> dict:
    wanted = parameters(name)
    missing = wanted - params.keys()
    if missing:
        raise QueryError(f"query {name} needs parameter(s) {', '.join(sorted(missing))}")
    return {k: v for k, v in params.items() if k in wanted}


def _routed(name: str, bound: dict) -> pd.DataFrame | None:
    if (config.get("DASHBOARD_ENGINE") or "").strip().lower() == "clickhouse":   # issue 17: reads to the warehouse
        from dashboard.warehouse import engine

        return engine.routed(name, sql(name), bound)
    return None


def run(cur: duckdb.DuckDBPyConnection, name: str, **params) -> pd.DataFrame:
    """Run a query with exactly the parameters it uses; extra ones are dropped, missing ones fail."""
    bound = _bound(name, params)
    frame = _routed(name, bound)
    return frame if frame is not None else cur.execute(sql(name), bound).df()


def records(cur: duckdb.DuckDBPyConnection, name: str, **params) -> list[dict]:
    """The rows of a small answer as dicts, without a DataFrame: DuckDB's conversion to pandas costs
    about 1 ms per time-zone column (it re-inserts each one), more than a key look-up itself (the
    friend page's card: 5 ms in DuckDB, 13 ms as a frame). Times come as time-zone-aware datetimes,
    decimals as floats (as in a frame), NULL as None."""
    bound = _bound(name, params)
    frame = _routed(name, bound)
    if frame is not None:
        return [{k: (None if not isinstance(v, (str, list, dict)) and pd.isna(v) else v) for k, v in row.items()}
                for row in frame.to_dict(orient="records")]
    result = cur.execute(sql(name), bound)
    columns = [d[0] for d in result.description]
    return [{c: (float(v) if isinstance(v, Decimal) else v) for c, v in zip(columns, row)} for row in result.fetchall()]


def small(cur: duckdb.DuckDBPyConnection, name: str, **params) -> pd.DataFrame:
    """A frame of a few rows built from `records` (object columns: aware datetimes stay datetimes),
    for answers that a page walks row by row; its columns are the query's even when it is empty."""
    bound = _bound(name, params)
    frame = _routed(name, bound)
    if frame is not None:
        return frame
    result = cur.execute(sql(name), bound)
    columns = [d[0] for d in result.description]
    rows = [[float(v) if isinstance(v, Decimal) else v for v in row] for row in result.fetchall()]
    return pd.DataFrame(rows, columns=columns, dtype=object)


def scalar(cur: duckdb.DuckDBPyConnection, name: str, **params):
    frame = run(cur, name, **params)
    return None if frame.empty else frame.iat[0, 0]
