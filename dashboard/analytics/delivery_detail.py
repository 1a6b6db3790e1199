"""One delivery in detail (issue 19.10): what was sent, to which audience in words, the ledger by
batch, LINE's statistics (or that they were not fetched yet), and what followed day by day."""
from __future__ import annotations

import json

import pandas as pd

from dashboard.analytics import metrics
from dashboard.core import queries

queries.require("deliveries/detail_head", "deliveries/detail_batches", "deliveries/detail_stats",
                "deliveries/detail_after", "deliveries/detail_recipients")
RECIPIENTS_SHOWN = 200   # the detail lists this many recipients (not delivered first), each linked to the friend page


def detail(cur, delivery_id: str) -> dict | None:
    """{"head": {...}, "messages": [...], "batches", "stats", "after", "recipients": DataFrames}; None if
    unknown. "recipients": the first RECIPIENTS_SHOWN ledger rows, not delivered first."""
    head = queries.run(cur, "deliveries/detail_head", delivery_id=delivery_id)
    if head.empty:
        return None
    row = head.iloc[0].to_dict()
    try:
        messages = json.loads(row.pop("messages") or "[]")
    except (TypeError, ValueError):
        messages = []
    return {
        "head": row,
        "messages": messages if isinstance(messages, list) else [],
        "batches": queries.run(cur, "deliveries/detail_batches", delivery_id=delivery_id),
        "stats": queries.run(cur, "deliveries/detail_stats", delivery_id=delivery_id),
        "after": queries.run(cur, "deliveries/detail_after", delivery_id=delivery_id,
                             reaction_types=metrics.REACTION_TYPES),
        "recipients": queries.run(cur, "deliveries/detail_recipients", delivery_id=delivery_id,
                                  limit=RECIPIENTS_SHOWN),
    }


def audience(head: dict) -> tuple[str, dict]:
    """The audience as a code + params: a saved segment by name, or what the kind means."""
    name = head.get("segment_name")
    if isinstance(name, str) and name:
        return "dlv.detail.segment", {"name": name}
    return f"dlv.detail.audience.{head.get('kind')}", {}


def exclusions(head: dict) -> tuple[int, list[tuple[str, int, dict]]] | None:
    """(friends the rule matched, [(exclusion code, friends removed, params), …]) as planned at send
    time, in the order applied; None when the delivery kept none (a test send, or one planned before
    schema version 6)."""
    import json

    text = head.get("plan_exclusions")
    if not isinstance(text, str) or not text:
        return None
    kept = json.loads(text)
    return int(kept["audience"]), [(code, int(n), params or {}) for code, n, params in kept["exclusions"]]


def batches_table(batches: pd.DataFrame) -> pd.DataFrame:
    """Batches as rows, recipients by status as columns (planned, sent, failed, skipped, unknown)."""
    if batches.empty:
        return batches
    wide = batches.pivot_table(index="batch_no", columns="status", values="recipients", aggfunc="sum",
                               fill_value=0).reset_index()
    wide.columns.name = None
    return wide
