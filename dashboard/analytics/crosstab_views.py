"""Saved cross-tab views (issue 15 point 3): a name for one cross-tab's choices — rows, columns,
outcome and their parameters (tag prefix, attribute key, scenario, N days, minimum count, history
in weeks) — saved, listed, opened and deleted. Saving and deleting check the role here, on the
server, as saved segments do (edit_segments: operators and up), and write a row in the audit log
(crosstab_view.save / crosstab_view.delete, object crosstab_view:<id>). Anyone who may see the
cross-tab may open a view. The page and `python -m dashboard crosstab --view NAME` call these.
"""
from __future__ import annotations

import datetime as dt
import json
import uuid

import duckdb
import pandas as pd

from dashboard.access import roles
from dashboard.analytics import crosstab
from dashboard.core import audit, queries, storage

queries.require("crosstab/view_list", "crosstab/view_create", "crosstab/view_delete")
MAX_NAME = 100
WEEKS = (26, 13, 0)   # the page's history choices (0 = the sidebar's period)
PARAMS = ("tag_prefix", "attr_key", "scenario", "days", "min_count", "weeks")


class ViewError(ValueError):
    """A refused save or delete: `code` (i18n fr.ct.view.err.<code>) with parameters."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code, self.params = code, params


def choice_of(rows: str, cols: str, outcome: str, *, tag_prefix: str = "", attr_key: str = "", scenario: str = "",
              days: int = 30, min_count: int = crosstab.MIN_COUNT, weeks: int = WEEKS[0]) -> dict:
    """The choices as crosstab.cells takes them (plus `weeks`), checked; CrosstabError or ViewError."""
    crosstab._check(rows, cols, outcome, tag_prefix, attr_key, scenario)
    for name, value, low, high in (("days", days, 1, 365), ("min_count", min_count, 1, 100_000)):
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ViewError("number", item=name, low=low, high=high)
    if weeks not in WEEKS:
        raise ViewError("weeks", allowed=", ".join(str(w) for w in WEEKS))
    uses = {rows, cols}
    return {"rows": rows, "cols": cols, "outcome": outcome,
            "tag_prefix": tag_prefix if "tag" in uses else "", "attr_key": attr_key if "attribute" in uses else "",
            "scenario": scenario if "scenario" in uses else "",
            "days": int(days) if outcome == "purchased" else 30, "min_count": int(min_count), "weeks": int(weeks)}


def list_views(cur) -> pd.DataFrame:
    """Every saved view by name: view_id, name, rows_dim, cols_dim, outcome, params (JSON text),
    created_by, created_at."""
    return queries.run(cur, "crosstab/view_list")


def get(cur, *, view_id: str | None = None, name: str | None = None) -> dict:
    """One saved view as its choices ({"rows", "cols", "outcome", "tag_prefix", …, "weeks"}) with
    view_id and name; ViewError("unknown") when there is none."""
    frame = list_views(cur)
    row = frame[frame["view_id"] == view_id] if view_id else frame[frame["name"] == name]
    if row.empty:
        raise ViewError("unknown", which=view_id or name or "")
    record = row.iloc[0]
    params = json.loads(record["params"])
    return {"view_id": record["view_id"], "name": record["name"], "rows": record["rows_dim"],
            "cols": record["cols_dim"], "outcome": record["outcome"],
            **{k: params.get(k, default) for k, default in (("tag_prefix", ""), ("attr_key", ""), ("scenario", ""),
                                                           ("days", 30), ("min_count", crosstab.MIN_COUNT),
                                                           ("weeks", WEEKS[0]))}}


def save(con, user: roles.User | None, name: str, choice: dict) -> str:
    """Save `choice` (crosstab.cells's keyword arguments, plus weeks) under a new unique name;
    returns its view_id. Operators and up; audited."""
    roles.require(user, "edit_segments")
    name = (name or "").strip()
    if not name:
        raise ViewError("no_name")
    if len(name) > MAX_NAME:
        raise ViewError("name_long", max=MAX_NAME)
    checked = choice_of(choice["rows"], choice["cols"], choice["outcome"],
                        **{k: choice[k] for k in PARAMS if k in choice})
    params = {k: checked[k] for k in PARAMS}
    view_id = "ctv_" + uuid.uuid4().hex[:12]
    cur = con.cursor()
    try:
        with storage.transaction(cur):
            queries.run(cur, "crosstab/view_create", id=view_id, view_name=name, rows_dim=checked["rows"],
                        cols_dim=checked["cols"], outcome=checked["outcome"],
                        params=json.dumps(params, ensure_ascii=False), actor=user.name,
                        at=dt.datetime.now(dt.timezone.utc))
            audit.record(cur, user, "crosstab_view.save", f"crosstab_view:{view_id}",
                         {"name": name, "rows": checked["rows"], "cols": checked["cols"],
                          "outcome": checked["outcome"], **params})
    except duckdb.ConstraintException:
        raise ViewError("name_taken", name=name) from None
    finally:
        cur.close()
    return view_id


def delete(con, user: roles.User | None, view_id: str) -> None:
    """Delete one saved view. Operators and up; audited with what it was."""
    roles.require(user, "edit_segments")
    cur = con.cursor()
    try:
        old = get(cur, view_id=view_id)
        with storage.transaction(cur):
            queries.run(cur, "crosstab/view_delete", id=view_id)
            audit.record(cur, user, "crosstab_view.delete", f"crosstab_view:{view_id}",
                         {k: v for k, v in old.items() if k != "view_id"})
    finally:
        cur.close()
