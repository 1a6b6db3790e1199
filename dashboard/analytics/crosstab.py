"""Cross-tab (クロス分析, issue 15 point 3): friends first added in the period split by two
dimensions — inflow route, a tag prefix, an attribute key, add month, interest level, genre, CRM
orders band — against one outcome, each cell with its rate, its count and a 95 % Wilson interval.
The page and `python -m dashboard crosstab` call `cells`; `cell_rule` starts a segment from a cell.

Scenario steps are not a dimension: this account has no scenarios yet (issue 10).
"""
from __future__ import annotations

import calendar
import datetime as dt
import math

import pandas as pd

from dashboard.analytics import rollups
from dashboard.analytics.metrics import Period
from dashboard.core import queries

DIMENSIONS = ("route", "tag", "attribute", "add_month", "interest", "genre", "crm")
# three steps in this cursor's temp tables: who counts (with the outcome), each axis's values, the cells
queries.require("crosstab/reacted_none", "crosstab/reacted_events", "crosstab/reacted_spells", "crosstab/cohort",
                "crosstab/dims_reset", "crosstab/cells", *(f"crosstab/dim_{d}" for d in DIMENSIONS))
OUTCOMES = ("blocked_30d", "reacted", "purchased", "following")
CRM_BANDS = ("none", "0", "1", "2-4", "5+")
Z95 = 1.959964   # the normal quantile of a two-sided 95 % interval
MIN_COUNT = 30   # default: cells with fewer friends are greyed (the page lets the operator change it)
NONE = "__none__"  # a friend without a value of the dimension


class CrosstabError(ValueError):
    """A dimension or an outcome that does not exist, or a tag/attribute dimension without its key."""


def wilson(hits: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a proportion hits/n (n > 0)."""
    if n <= 0:
        return (math.nan, math.nan)
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def _check(rows: str, cols: str, outcome: str, tag_prefix: str, attr_key: str) -> None:
    for dim in (rows, cols):
        if dim not in DIMENSIONS:
            raise CrosstabError(f"unknown dimension {dim!r}: one of {', '.join(DIMENSIONS)}")
    if outcome not in OUTCOMES:
        raise CrosstabError(f"unknown outcome {outcome!r}: one of {', '.join(OUTCOMES)}")
    if rows == cols:
        raise CrosstabError("rows and columns must be two different dimensions")
    if "tag" in (rows, cols) and not tag_prefix:
        raise CrosstabError("the tag dimension needs a tag prefix (e.g. interest:)")
    if "attribute" in (rows, cols) and not attr_key:
        raise CrosstabError("the attribute dimension needs an attribute key")


def cells(cur, period: Period, routes=None, *, rows: str = "route", cols: str = "interest",
          outcome: str = "blocked_30d", tag_prefix: str = "", attr_key: str = "", days: int = 30,
          min_count: int = MIN_COUNT) -> pd.DataFrame:
    """One row per cell: row_value, col_value (NONE for friends without a value), friends, hits,
    rate, low, high (Wilson 95 %), enough (friends >= min_count)."""
    _check(rows, cols, outcome, tag_prefix, attr_key)
    state = rollups.state(cur) or {}
    as_of = state.get("as_of") or dt.datetime.now(dt.timezone.utc)
    window = int(state.get("active_days") or 0)   # the spells' N: exact for periods of N days or more
    spell_days = window if window and (period.last - period.first).days + 1 >= window else 0
    reacted = "reacted_none" if outcome != "reacted" else "reacted_spells" if spell_days else "reacted_events"
    queries.run(cur, f"crosstab/{reacted}", first_day=period.first, last_day=period.last, spell_days=spell_days,
                **period.params(routes))
    queries.run(cur, "crosstab/cohort", outcome=outcome, days=int(days), as_of=as_of, **period.params(routes))
    queries.run(cur, "crosstab/dims_reset")
    for axis, dim in (("rows", rows), ("cols", cols)):   # the query's name from DIMENSIONS, checked above
        queries.run(cur, f"crosstab/dim_{dim}", axis=axis, tag_prefix=tag_prefix, attr_key=attr_key)
    frame = queries.run(cur, "crosstab/cells")
    frame["row_value"] = frame["row_value"].fillna(NONE).astype(str)
    frame["col_value"] = frame["col_value"].fillna(NONE).astype(str)
    frame["friends"] = frame["friends"].astype(int)
    frame["hits"] = frame["hits"].astype(int)
    frame["rate"] = frame["hits"] / frame["friends"]
    bounds = [wilson(h, n) for h, n in zip(frame["hits"], frame["friends"])]
    frame["low"] = [b[0] for b in bounds]
    frame["high"] = [b[1] for b in bounds]
    frame["enough"] = frame["friends"] >= int(min_count)
    return frame


def _month_bounds(value: str) -> tuple[str, str]:
    year, month = (int(x) for x in value.split("-"))
    return (dt.date(year, month, 1).isoformat(), dt.date(year, month, calendar.monthrange(year, month)[1]).isoformat())


def cell_condition(dim: str, value: str, tag_prefix: str = "", attr_key: str = "") -> dict | None:
    """The segment condition of one dimension value (None for NONE: "no value" is no condition)."""
    if value == NONE:
        return None
    if dim == "route":
        return {"field": "route", "in": [value]}
    if dim == "tag":
        return {"field": "tags", "match": "any", "tags": [tag_prefix + value]}
    if dim == "attribute":
        return {"field": "attribute", "key": attr_key, "op": "eq", "value": value}
    if dim == "add_month":
        first, last = _month_bounds(value)
        return {"field": "followed", "from": first, "to": last}
    if dim == "interest":
        return {"field": "interest", "in": [value]}
    if dim == "genre":
        return {"field": "genre", "in": [value]}
    if dim == "crm":
        if value == "none":
            return {"field": "customer", "linked": False}
        low, high = {"0": (0, 0), "1": (1, 1), "2-4": (2, 4), "5+": (5, None)}[value]
        node = {"field": "orders", "min": low}
        return node if high is None else {**node, "max": high}
    raise CrosstabError(f"unknown dimension {dim!r}")


def cell_rule(rows: str, row_value: str, cols: str, col_value: str, *, tag_prefix: str = "",
              attr_key: str = "") -> dict:
    """A segment rule for the friends of one cell (following now), to open on the Segments page."""
    parts = [{"field": "following", "value": True}]
    for dim, value in ((rows, row_value), (cols, col_value)):
        node = cell_condition(dim, value, tag_prefix, attr_key)
        if node is not None:
            parts.append(node)
    return {"version": 1, "rule": {"all": parts}}
