"""`python -m dashboard bench --ingest N`: the loader's events per second into a large database.

Writes N webhook events to a spool the way the receiver does (one JSONL line per body, a body of
1-3 events as LINE batches them: messages, rich-menu and survey postbacks, follows of new users,
blocks, redeliveries), then loads it with the real loader into a copy of the bench database
(1,000,000 friends / ~31,800,000 events, built when missing) and reports events per second for
the load including the incremental rollup update.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import random
import shutil
import tempfile
import time
from pathlib import Path

from dashboard.intake import loader
from dashboard.analytics import rollups
from dashboard.core import storage


def _spool(directory: Path, events: int, user_ids: list[str], start_ms: int, seed: int = 7) -> int:
    """Write about `events` events; returns how many were written (redeliveries included)."""
    rng = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    received = dt.datetime.fromtimestamp(start_ms / 1000, dt.timezone.utc).isoformat()
    written, n = 0, 0
    recent: list[dict] = []
    with (directory / "20990101-00.jsonl").open("w", encoding="utf-8") as fh:
        while written < events:
            batch = []
            for _ in range(rng.choice((1, 1, 1, 2, 3))):
                n += 1
                ts = start_ms + n * 7
                roll = rng.random()
                if roll < 0.02:
                    user, ev = "U" + f"{n:032x}", {"type": "follow", "follow": {"isUnblocked": False}, "replyToken": "r"}
                else:
                    user = rng.choice(user_ids)
                    if roll < 0.03:
                        ev = {"type": "unfollow"}
                    elif roll < 0.45:
                        ev = {"type": "postback", "replyToken": "r",
                              "postback": {"data": "menu=" + rng.choice(("coupon", "shop", "skincare", "faq"))}}
                    elif roll < 0.50:
                        ev = {"type": "postback", "replyToken": "r",
                              "postback": {"data": "survey=concern&answer=" + rng.choice(("sleep", "skin", "diet"))}}
                    else:
                        ev = {"type": "message", "replyToken": "r",
                              "message": {"id": str(n), "type": "text", "text": "在庫ありますか？"}}
                ev.update({"mode": "active", "timestamp": ts, "webhookEventId": f"01BENCH{n:019d}",
                           "source": {"type": "user", "userId": user}, "deliveryContext": {"isRedelivery": False}})
                batch.append(ev)
            if recent and rng.random() < 0.01:  # LINE redelivers now and then
                batch.append({**rng.choice(recent), "deliveryContext": {"isRedelivery": True}})
            recent = batch
            fh.write(json.dumps({"kind": "webhook", "received_at": received,
                                 "body": json.dumps({"destination": "Ubench", "events": batch}, ensure_ascii=False)},
                                ensure_ascii=False) + "\n")
            written += len(batch)
    return written


def ingest_bench(events: int, db: str | None = None, runs: int = 2) -> str:
    """Loads the same spool `runs` times, each into a fresh copy of the database."""
    from bench.measure import _bench_path, _build, _cpu_model, data_dir

    source, _ = _bench_path(1_000_000, db)
    if not source.exists():
        _build(source, 1_000_000)
    lines, rates = [], []
    with tempfile.TemporaryDirectory(dir=data_dir()) as tmp:
        prepared, spool, copy = Path(tmp) / "prepared.duckdb", Path(tmp) / "spool", Path(tmp) / "ingest.duckdb"
        shutil.copyfile(source, prepared)
        con = storage.connect(prepared)
        rollups.ensure(con)
        users = [r[0] for r in con.execute("select user_id from friends using sample 50000 rows").fetchall()]
        # the rollups' "last 30 days" end now; events a few minutes old land in today's rows
        start_ms = int(time.time() * 1000) - events * 7 - 60_000
        rollups.refresh(con)
        con.close()
        written = _spool(spool, events, users, start_ms)
        for run in range(1, runs + 1):
            shutil.copyfile(prepared, copy)
            # the copy's and the spool's unwritten pages are the setup's, not the loader's: without
            # this, the loader's first fsync pays for writing the 1.5 GB copy (seconds here)
            os.sync()
            con = storage.connect(copy)
            before = con.execute("select count(*) from events").fetchone()[0]
            friends = con.execute("select count(*) from friends").fetchone()[0]
            started = time.perf_counter()
            total = loader.load_all(con, spool)
            seconds = time.perf_counter() - started
            after = con.execute("select count(*) from events").fetchone()[0]
            con.close()
            copy.unlink()
            rates.append(written / seconds)
            lines.append(
                f"loader run {run}: {written:,} events ({total.lines:,} spool lines, {total.duplicates:,} "
                f"redeliveries) into {before:,} events / {friends:,} friends in {seconds:.1f} s = "
                f"{written / seconds:,.0f} events/s (of which {total.rollup_seconds:.1f} s incremental rollups; "
                f"{after - before:,} new rows) on {_cpu_model()}")
    import statistics

    lines.append(f"median of {len(rates)} runs: {statistics.median(rates):,.0f} events/s")
    return "\n".join(lines)
