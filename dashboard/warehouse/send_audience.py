"""A send's audience read from the warehouse (DASHBOARD_ENGINE=clickhouse, issue 17).

The send ledger stays in DuckDB, and the count the operator confirms must be the ledger written.
So the plan reads the audience from the warehouse once — every member of the rule with, for each
exclusion stage, whether they are still in (rules.flagged: one query, one state of the warehouse) —
and keeps the final recipients in DuckDB (an in-memory database of this process,
queries/warehouse/plan_snapshot_*.sql). The plan's query is then those rows: the confirmation's
recount and the ledger (messaging/sending.py plan(source=…)) read the very same set. The plan says
what the audience is as of: when the warehouse's friends and ledger were taken from DuckDB.
"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa

from dashboard.audience import rules, running
from dashboard.core import queries
from dashboard.warehouse import engine

queries.require("warehouse/plan_snapshot_attach", "warehouse/plan_snapshot_table", "warehouse/plan_snapshot_forget",
                "warehouse/plan_snapshot_insert", "warehouse/plan_snapshot_members")

PLANS_KEPT = 6          # the newest plans' audiences kept in the process (one per plan made)
ROWS_VIEW = "plan_rows"  # the name plan_snapshot_insert reads the registered Arrow table by


@dataclass(frozen=True)
class Snapshot:
    counts: tuple[int, ...]      # the rule's members, then the audience after each stage (found.stages)
    query: rules.Compiled        # the final recipients, as kept in DuckDB
    as_of: dt.datetime | None    # when the warehouse's friends and ledger were taken from DuckDB


def read(cur, found: running.Recipients, *, now: dt.datetime | None = None) -> Snapshot:
    """The audience of `found` from the warehouse, counted and kept in DuckDB (see the module)."""
    warehouse = engine.warehouse()
    flagged = rules.flagged(found.base, [query for _, _, query in found.stages])
    frame = warehouse.run_compiled(*flagged.in_dialect("clickhouse").rows())
    inside = pd.Series(True, index=frame.index)
    counts = [len(frame)]
    for i in range(1, len(found.stages) + 1):
        inside &= frame[f"in_{i}"].fillna(False).astype(bool)   # a stage narrows the one before it
        counts.append(int(inside.sum()))
    final = frame.loc[inside]
    rows = pa.table({"user_key": pa.array(final["user_key"].astype("Int64"), pa.int32(), from_pandas=True),
                     "user_id": pa.array(final["user_id"].astype(str), pa.string())})
    snapshot_id = uuid.uuid4().hex
    queries.run(cur, "warehouse/plan_snapshot_attach")
    queries.run(cur, "warehouse/plan_snapshot_table")
    cur.register(ROWS_VIEW, rows)
    try:
        queries.run(cur, "warehouse/plan_snapshot_insert", snapshot_id=snapshot_id,
                    taken_at=now or dt.datetime.now(dt.timezone.utc))
    finally:
        cur.unregister(ROWS_VIEW)
    queries.run(cur, "warehouse/plan_snapshot_forget", keep=PLANS_KEPT)
    query = rules.source(queries.sql("warehouse/plan_snapshot_members"), {"snapshot_id": snapshot_id})
    return Snapshot(tuple(counts), query, warehouse.snapshots_taken())
