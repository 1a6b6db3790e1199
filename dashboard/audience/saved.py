"""Saved segments: create, update, rename, duplicate, delete (each recorded in audit_log), and the
daily sizes kept for them. A rule is validated before it is stored.
"""
from __future__ import annotations

import datetime as dt
import json
import uuid

import duckdb
import pandas as pd

from dashboard.audience import rules, running
from dashboard.core import audit, queries, storage

queries.require("segments/list", "segments/create", "segments/set_rule", "segments/rename", "segments/delete",
                "segments/forget_sizes", "segments/record_size")
MAX_NAME = 100


class SegmentStoreError(ValueError):
    """A refused segment write: a code (i18n `seg.err.<code>`) with parameters; str() is English."""

    def __init__(self, code: str, **params):
        self.code, self.params = code, params
        super().__init__(self.text("en"))

    def text(self, lang: str) -> str:
        from dashboard.core.i18n import t

        return t(f"seg.err.{self.code}", lang, **self.params)


def _name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise SegmentStoreError("no_name")
    if len(name) > MAX_NAME:
        raise SegmentStoreError("name_long", max=MAX_NAME)
    return name


def _audit(cur, actor: str, action: str, segment_id: str, detail: dict) -> None:
    audit.record(cur, actor, action, f"segment:{segment_id}", detail)  # it scrubs secrets


def _write(con, statements: list[tuple[str, dict]], actor: str, action: str, segment_id: str, detail: dict):
    """Run the named queries (name, parameters) and the audit row in one transaction."""
    cur = con.cursor()
    try:
        with storage.transaction(cur):
            for query, params in statements:  # a rename binds $name: not through queries.run's own name
                cur.execute(queries.sql(query), params)
            _audit(cur, actor, action, segment_id, detail)
    except duckdb.ConstraintException as exc:
        if "name" in str(exc) or "unique" in str(exc).lower() or "duplicate" in str(exc).lower():
            raise SegmentStoreError("name_taken") from None
        raise
    finally:
        cur.close()


def list_segments(cur) -> pd.DataFrame:
    return queries.run(cur, "segments/list")


def get(cur, *, segment_id: str | None = None, name: str | None = None) -> dict:
    frame = list_segments(cur)
    row = frame[frame["segment_id"] == segment_id] if segment_id else frame[frame["name"] == name]
    if row.empty:
        raise SegmentStoreError("unknown", which=f"id {segment_id}" if segment_id else repr(name))
    record = row.iloc[0].to_dict()
    record["rule"] = json.loads(record["definition"])
    return record


def create(con, name: str, rule, actor: str) -> str:
    name = _name(name)
    rules.validate(rule)
    rule = rules.parse(rule)
    segment_id = "seg_" + uuid.uuid4().hex[:12]
    _write(con, [("segments/create", {"id": segment_id, "name": name, "rule": json.dumps(rule, ensure_ascii=False),
                                       "actor": actor})],
           actor, "segment.create", segment_id, {"name": name, "rule": rule})
    return segment_id


def update(con, segment_id: str, rule, actor: str) -> None:
    rules.validate(rule)
    rule = rules.parse(rule)
    get(con.cursor(), segment_id=segment_id)
    _write(con, [("segments/set_rule", {"id": segment_id, "rule": json.dumps(rule, ensure_ascii=False),
                                         "actor": actor}),
                 # sizes recorded under the old rule no longer describe this segment
                 ("segments/forget_sizes", {"id": segment_id})],
           actor, "segment.update", segment_id, {"rule": rule})


def rename(con, segment_id: str, new_name: str, actor: str) -> None:
    new_name = _name(new_name)
    old = get(con.cursor(), segment_id=segment_id)
    _write(con, [("segments/rename", {"id": segment_id, "name": new_name, "actor": actor})],
           actor, "segment.rename", segment_id, {"from": old["name"], "to": new_name})


def duplicate(con, segment_id: str, new_name: str, actor: str) -> str:
    original = get(con.cursor(), segment_id=segment_id)
    new_id = create(con, new_name, original["rule"], actor)
    cur = con.cursor()
    _audit(cur, actor, "segment.duplicate", new_id, {"from": segment_id})
    cur.close()
    return new_id


def delete(con, segment_id: str, actor: str) -> None:
    old = get(con.cursor(), segment_id=segment_id)
    _write(con, [("segments/forget_sizes", {"id": segment_id}), ("segments/delete", {"id": segment_id})],
           actor, "segment.delete", segment_id, {"name": old["name"], "rule": old["rule"]})


def record_size(con, segment_id: str, day: dt.date, size: int) -> None:
    cur = con.cursor()
    try:
        queries.run(cur, "segments/record_size", id=segment_id, day=day, size=size)
    finally:
        cur.close()


def daily_sizes(con, segment_ids: list[str], first: dt.date, last: dt.date, max_backfill: int = 92) -> pd.DataFrame:
    """Size per day of each segment over [first, last]: recorded sizes, back-filled where missing
    by evaluating the rule as of that day's end (not possible for interest / genre rules: those
    days stay empty until the segment is counted on them)."""
    cur = con.cursor()
    try:
        have = queries.run(cur, "segments/sizes", segment_ids=segment_ids, first=first, last=last)
        known = {(r.segment_id, pd.Timestamp(r.day).date()) for r in have.itertuples()}
        days = [first + dt.timedelta(days=i) for i in range(min((last - first).days + 1, max_backfill))]
        for segment_id in segment_ids:
            rule = get(cur, segment_id=segment_id)["rule"]
            if running.uses_rollup_only_fields(rule):
                continue
            for day in days:
                if (segment_id, day) not in known:
                    size = running.size_on_day(cur, rule, day)
                    if size is not None:
                        record_size(con, segment_id, day, size)
        return queries.run(cur, "segments/sizes", segment_ids=segment_ids, first=first, last=last)
    finally:
        cur.close()
