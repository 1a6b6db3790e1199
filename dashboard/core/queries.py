"""SQL files in queries/, loaded once by name and run with bound parameters.

A query's name is its path under queries/ without `.sql` (`overview/new_friends`). Like listmonk,
every name the code uses is checked when the module loads: a missing or misspelt file stops the
program at start, not when an operator opens a page.
"""
from __future__ import annotations

import re
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


def run(cur: duckdb.DuckDBPyConnection, name: str, **params) -> pd.DataFrame:
    """Run a query with exactly the parameters it uses; extra ones are dropped, missing ones fail."""
    wanted = parameters(name)
    missing = wanted - params.keys()
    if missing:
        raise QueryError(f"query {name} needs parameter(s) {', '.join(sorted(missing))}")
    bound = {k: v for k, v in params.items() if k in wanted}
    if (config.get("DASHBOARD_ENGINE") or "").strip().lower() == "clickhouse":   # issue 17: reads to the warehouse
        from dashboard.warehouse import engine

        frame = engine.routed(name, sql(name), bound)
        if frame is not None:
            return frame
    return cur.execute(sql(name), bound).df()


def scalar(cur: duckdb.DuckDBPyConnection, name: str, **params):
    frame = run(cur, name, **params)
    return None if frame.empty else frame.iat[0, 0]
