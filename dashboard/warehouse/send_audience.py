"""A send's audience read from the warehouse (DASHBOARD_ENGINE=clickhouse, issue 17).

The send ledger stays in DuckDB, and the count the operator confirms must be the ledger written.
So the plan reads the rule's members from the warehouse once — with, for the excluded segment,
whether each is in it (a segment is judged on the warehouse, as of its last load, like the rule) —
and keeps them in DuckDB (an in-memory database of this process, queries/warehouse/plan_snapshot_*.sql).
What depends on the ledger and the friends' state right now — following, the frequency cap, friends
already reached by e-mail — is judged in DuckDB over those rows, as in a plan made on DuckDB: the
warehouse lags DuckDB by its last load, and a send that went out a minute ago must count against the
cap. The plan's queries are then DuckDB queries over the kept rows: the confirmation's recount and the
ledger read the same members. The plan says what the rule's members are as of.
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
                "warehouse/plan_snapshot_insert", "warehouse/plan_snapshot_members", "warehouse/plan_snapshot_excluded")

PLANS_KEPT = 6          # the newest plans' audiences kept in the process (one per plan made)
ROWS_VIEW = "plan_rows"  # the name plan_snapshot_insert reads the registered Arrow table by
# the exclusions judged on the warehouse (as of its load); the others read DuckDB's ledger and friends now
ON_WAREHOUSE = ("excluded_segment",)


@dataclass(frozen=True)
class Snapshot:
    base: rules.Compiled                                   # the rule's members, as kept in DuckDB
    stages: tuple[tuple[str, dict, rules.Compiled], ...]  # as Recipients.stages, over the kept members
    query: rules.Compiled                                  # the final recipients (the last stage, or base)
    as_of: dt.datetime | None    # when the warehouse's friends and ledger were taken from DuckDB


def read(cur, found: running.Recipients, *, now: dt.datetime | None = None) -> Snapshot:
    """The audience of `found`: the rule (and the excluded segment) from the warehouse, the rest
    judged in DuckDB over the kept rows (see the module)."""
    warehouse = engine.warehouse()
    excluded = [compiled for code, _, compiled in found.steps if code in ON_WAREHOUSE]
    flagged = rules.flagged(found.base, excluded)
    frame = warehouse.run_compiled(*flagged.in_dialect("clickhouse").rows())
    in_excluded = (frame["in_1"].fillna(False).astype(bool) if excluded
                   else pd.Series(False, index=frame.index, dtype=bool))
    rows = pa.table({"user_key": pa.array(frame["user_key"].astype("Int64"), pa.int32(), from_pandas=True),
                     "user_id": pa.array(frame["user_id"].astype(str), pa.string()),
                     "in_excluded": pa.array(in_excluded.to_numpy(), pa.bool_())})
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
    kept = {"snapshot_id": snapshot_id}
    base = rules.source(queries.sql("warehouse/plan_snapshot_members"), kept)
    steps = [(keep, rules.source(queries.sql("warehouse/plan_snapshot_excluded"), kept) if code in ON_WAREHOUSE
              else compiled) for code, keep, compiled in found.steps]
    narrowed = rules.narrowed(base, steps)
    stages = tuple((code, reason, query) for (code, reason, _), query in zip(found.stages, narrowed[1:]))
    return Snapshot(narrowed[0], stages, narrowed[-1], warehouse.snapshots_taken())
