"""Cross-tab (クロス分析, issue 15 point 3): friends first added in the period split by two
dimensions — inflow route, a tag prefix, an attribute key, add month, interest level, genre, CRM
orders band, the step reached in a step scenario — against one outcome, each cell with its rate,
its count and a 95 % Wilson interval. The page and `python -m dashboard crosstab` call `cells`;
`cell_rule` starts a segment from a cell; dashboard/analytics/crosstab_views.py saves the choices.

Speed (DESIGN §9, README "Performance"): three steps in this cursor's temp tables — who counts,
with the outcome and the columns of rollup_friend_firsts (ct_cohort: the outcomes are that
rollup's first block, purchase and reaction, or for "still following" a look-up among the few who
are not); the rows axis (ct_rows);
the columns axis joined to it and counted — so that at most two joins run over the cohort, and
none for a dimension the cohort already holds (route, add month).
"""
from __future__ import annotations

import calendar
import datetime as dt
import math

import pandas as pd

from dashboard.analytics import rollups
from dashboard.analytics.metrics import Period
from dashboard.core import queries

DIMENSIONS = ("route", "tag", "attribute", "add_month", "interest", "genre", "crm", "scenario")
OUTCOMES = ("blocked_30d", "reacted", "purchased", "following")
queries.require("crosstab/unfollowed_none", "crosstab/unfollowed", "crosstab/cohort", "crosstab/rows_drop", "crosstab/rows_keep",
                "crosstab/cells", "crosstab/cells_dims", "crosstab/scenario_steps", *(f"crosstab/values_{d}" for d in DIMENSIONS))
CRM_BANDS = ("none", "0", "1", "2-4", "5+")
ENROLLED = "enrolled"   # the scenario dimension's value for "enrolled, no step passed yet"
Z95 = 1.959964   # the normal quantile of a two-sided 95 % interval
MIN_COUNT = 30   # default: cells with fewer friends are greyed (the page lets the operator change it)
NONE = "__none__"  # a friend without a value of the dimension (scenario: not enrolled)
KEYED = ("tag", "attribute", "scenario")   # several values or none per friend: joined, not columns


class CrosstabError(ValueError):
    """A dimension or an outcome that does not exist, a tag/attribute/scenario dimension without its
    key, or a segment asked of a scenario cell. `code` (i18n fr.ct.err.<code>) says it in words."""

    def __init__(self, message: str, code: str = "choice"):
        super().__init__(message)
        self.code = code


def wilson(hits: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a proportion hits/n (n > 0)."""
    if n <= 0:
        return (math.nan, math.nan)
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def _check(rows: str, cols: str, outcome: str, tag_prefix: str, attr_key: str, scenario: str = "") -> None:
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
    if "scenario" in (rows, cols) and not scenario:
        raise CrosstabError("the scenario dimension needs a scenario (its ID)")


def cells(cur, period: Period, routes=None, *, rows: str = "route", cols: str = "interest",
          outcome: str = "blocked_30d", tag_prefix: str = "", attr_key: str = "", scenario: str = "",
          days: int = 30, min_count: int = MIN_COUNT) -> pd.DataFrame:
    """One row per cell: row_value, col_value (NONE for friends without a value), friends, hits,
    rate, low, high (Wilson 95 %), enough (friends >= min_count). `scenario` (a scenario_id) is the
    scenario of the "scenario step reached" dimension."""
    _check(rows, cols, outcome, tag_prefix, attr_key, scenario)
    state = rollups.state(cur) or {}
    as_of = state.get("as_of") or dt.datetime.now(dt.timezone.utc)
    values = dict(tag_prefix=tag_prefix, attr_key=attr_key, scenario=scenario)
    keyed = [d for d in (rows, cols) if d in KEYED]
    if len(keyed) < 2:   # one statement over rollup_friend_dims, at most one join for a keyed axis
        frame = queries.run(cur, "crosstab/cells_dims", rows=rows, cols=cols, keyed=keyed[0] if keyed else "",
                            outcome=outcome, days=int(days), as_of=as_of, **values, **period.params(routes))
    else:   # two keyed axes (tag × attribute, …): the steps in temp tables
        frame = _cells_in_steps(cur, period, routes, rows, cols, outcome, values, days, as_of)
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


def _cells_in_steps(cur, period: Period, routes, rows: str, cols: str, outcome: str, values: dict, days: int,
                    as_of) -> pd.DataFrame:
    queries.run(cur, "crosstab/unfollowed" if outcome == "following" else "crosstab/unfollowed_none")
    queries.run(cur, "crosstab/cohort", outcome=outcome, days=int(days), as_of=as_of, **period.params(routes))
    queries.run(cur, "crosstab/rows_drop")
    queries.run(cur, f"crosstab/values_{rows}", **values)   # the query's name from DIMENSIONS, checked above
    queries.run(cur, "crosstab/rows_keep")
    queries.run(cur, f"crosstab/values_{cols}", **values)
    return queries.run(cur, "crosstab/cells")


def scenarios(cur) -> list[dict]:
    """The step scenarios to split by: [{"scenario_id", "name", "status", "steps": {step_no: name}}]."""
    found: dict[str, dict] = {}
    for row in queries.run(cur, "crosstab/scenario_steps").itertuples():
        entry = found.setdefault(row.scenario_id, {"scenario_id": row.scenario_id, "name": row.name,
                                                   "status": row.status, "steps": {}})
        if not pd.isna(row.step_no):
            entry["steps"][int(row.step_no)] = row.step_name if isinstance(row.step_name, str) else ""
    return list(found.values())


def scenario_id(cur, name_or_id: str) -> str:
    """A scenario named by its ID or its name (the command line), as its ID."""
    for entry in scenarios(cur):
        if name_or_id in (entry["scenario_id"], entry["name"]):
            return entry["scenario_id"]
    raise CrosstabError(f"no step scenario {name_or_id!r}", "no_scenario")


def _month_bounds(value: str) -> tuple[str, str]:
    year, month = (int(x) for x in value.split("-"))
    return (dt.date(year, month, 1).isoformat(), dt.date(year, month, calendar.monthrange(year, month)[1]).isoformat())


def cell_condition(dim: str, value: str, tag_prefix: str = "", attr_key: str = "") -> dict | None:
    """The segment condition of one dimension value (None for NONE: "no value" is no condition)."""
    if value == NONE and dim != "scenario":
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
    if dim == "scenario":   # no segment condition says "reached step n of a scenario"
        raise CrosstabError("a segment cannot start from a scenario step: rules have no scenario condition",
                            "scenario_segment")
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
