"""Batches whose answer was lost, and the sender's choices about them (Deliveries and Compose pages).

A batch was sent to LINE (attempted_at is set) but the ledger holds no answer: the process died
or the network dropped between LINE's answer and the ledger write. While its retry key is younger
than sending.KEY_SAFE_HOURS (23 h) it can be retried with the same key: LINE answers 409 if it had
accepted it, so nobody gets it twice. After that LINE may have forgotten the key; the engine marks
the batch 'unknown' and never resends it by itself. Then only a sender decides, explicitly and
audited: mark it as sent (they checked LINE's statistics), or resend it knowing some may get it
twice. Every choice is checked here, on the server, whatever the page showed.
"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import pandas as pd

from dashboard.core import audit, queries, storage
from dashboard.access import roles
from dashboard.messaging import sending

queries.require("deliveries/unanswered_batches", "deliveries/line_says", "deliveries/batch_mark_sent",
                "deliveries/batch_resend", "deliveries/settle", "deliveries/status_of")

CHOICES = ("retry", "mark_sent", "resend")
JST = dt.timezone(dt.timedelta(hours=9))   # LINE's insight days


class DecisionRefused(Exception):
    """A choice that does not apply to this batch now: `code` and `params` for the page (i18n)."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code, self.params = code, params


@dataclass
class Batch:
    delivery_id: str
    title: str | None
    batch_no: int
    retry_key: str
    status: str               # planned (key still young) or unknown (over 23 h)
    recipients: int
    attempted_at: dt.datetime
    age_hours: float
    choices: tuple[str, ...]  # what a sender may do with it now
    line_says: list[tuple[str, dict]]   # (i18n key, parameters)


def _choices(status: str, age_hours: float) -> tuple[str, ...]:
    if status == "planned" and age_hours < sending.KEY_SAFE_HOURS:
        return ("retry",)
    return ("mark_sent", "resend")


def _line_says(cur, delivery_id: str, attempted_at: dt.datetime) -> list[tuple[str, dict]]:
    day = attempted_at.astimezone(JST).date()
    row = queries.run(cur, "deliveries/line_says", delivery_id=delivery_id, line_day=day).iloc[0]
    out: list[tuple[str, dict]] = []
    if row["line_multicast"] is None or pd.isna(row["line_multicast"]):
        out.append(("i11.lost.no_day_stats", {"day": day.isoformat()}))
    else:
        out.append(("i11.lost.day_stats", {"day": day.isoformat(), "line": int(row["line_multicast"]),
                                          "ours": int(row["sent_that_day"])}))
    if row["stats_day"] is None or pd.isna(row["stats_day"]):
        out.append(("i11.lost.no_unit_stats", {}))
    else:
        imp = row["unique_impressions"]
        out.append(("i11.lost.unit_stats", {"day": pd.Timestamp(row["stats_day"]).date().isoformat(),
                                           "impressions": "< 20" if pd.isna(imp) else f"{int(imp):,}"}))
    return out


def unanswered(cur, delivery_id: str | None = None) -> list[Batch]:
    frame = queries.run(cur, "deliveries/unanswered_batches", delivery_id=delivery_id)
    batches = []
    for r in frame.itertuples(index=False):
        age = float(r.age_seconds) / 3600
        attempted = pd.Timestamp(r.attempted_at).to_pydatetime()
        batches.append(Batch(r.delivery_id, r.title, int(r.batch_no), r.retry_key, r.status, int(r.recipients),
                             attempted, age, _choices(r.status, age), _line_says(cur, r.delivery_id, attempted)))
    return batches


def decide(con, cur, user: roles.User | None, delivery_id: str, batch_no: int, choice: str, *,
           acknowledged: bool = False, note: str = "", start=None) -> str:
    """Carry out a sender's choice for one batch; returns the delivery's status afterwards.
    retry: resume the delivery (same key; only while the key is young). mark_sent / resend: only
    for a batch over 23 h, only with `acknowledged` (the person confirmed they understood).
    `start(con, delivery_id)` sends what is planned (default: on a thread of this process)."""
    start = start or sending.start_in_background
    roles.require(user, "send")
    if choice not in CHOICES:
        raise DecisionRefused("i11.lost.bad_choice", choice=str(choice)[:40])
    batch = next((b for b in unanswered(cur, delivery_id) if b.batch_no == batch_no), None)
    if batch is None:
        raise DecisionRefused("i11.lost.gone")
    if choice not in batch.choices:
        raise DecisionRefused("i11.lost.too_old" if choice == "retry" else "i11.lost.too_young",
                              hours=sending.KEY_SAFE_HOURS)
    if choice != "retry" and not acknowledged:
        raise DecisionRefused("i11.lost.confirm")
    detail = {"batch_no": batch_no, "retry_key": batch.retry_key, "recipients": batch.recipients,
              "attempted_at": batch.attempted_at, "age_hours": round(batch.age_hours, 1), "note": note[:300]}
    if choice == "retry":
        audit.record(cur, user, "send.lost_answer.retry", f"delivery:{delivery_id}", detail)
        start(con, delivery_id)
        return "sending"
    with storage.transaction(cur):
        if choice == "mark_sent":
            queries.run(cur, "deliveries/batch_mark_sent", delivery_id=delivery_id, batch_no=batch_no,
                        note=f"marked as sent by {user.name} after a lost answer"[:500])
        else:
            key = str(uuid.uuid4())
            detail["new_retry_key"] = key
            queries.run(cur, "deliveries/batch_resend", delivery_id=delivery_id, batch_no=batch_no, retry_key=key,
                        note=f"resent knowingly by {user.name} after a lost answer"[:500])
        audit.record(cur, user, f"send.lost_answer.{choice}", f"delivery:{delivery_id}", detail)
        queries.run(cur, "deliveries/settle", delivery_id=delivery_id)
    if choice == "resend":
        start(con, delivery_id)
        return "sending"
    return queries.scalar(cur, "deliveries/status_of", id=delivery_id)
