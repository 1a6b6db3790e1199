"""The account as Parquet (`python -m dashboard export --parquet DIR`, and the worker's `parquet`
duty when DASHBOARD_PARQUET_DIR is set): the interchange any engine reads — DuckDB, ClickHouse,
Spark — and the "take all your data with you" export.

    DIR/events/dt=YYYY-MM-DD/part-0.parquet    one file per UTC day of occurred_at (Hive partitions)
    DIR/<table>/snapshot.parquet              friends, tags, attributes, customers, deliveries,
                                              recipients, segments: as they are at the export
    DIR/_manifest.json                        what each day's file holds (count and fingerprint)

Exactly once per event: a day's events live in one file, written whole to a temporary name and
moved into place (a reader sees the old file or the new one, never half). Incrementally: each run
asks DuckDB for every day's count and a fingerprint of its event ids (one aggregate) and rewrites
only the days that changed since the manifest — new events, a late redelivery of an old day, an
import. A crash between a file and the manifest leaves a day whose fingerprint disagrees: the next
run writes it again, whole. The payload stays JSON text; timestamps are UTC instants.
"""
from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from dashboard.core import queries

SNAPSHOTS = ("friends", "friend_tags", "friend_attributes", "customers", "deliveries", "delivery_recipients",
             "segments")
MANIFEST = "_manifest.json"
FORMAT_VERSION = 1
BATCH_ROWS = 100_000      # rows per Arrow batch: a day is streamed, never held whole in Python

queries.require("warehouse/event_days", "warehouse/events_day", *(f"warehouse/snapshot_{t}" for t in SNAPSHOTS))


def _manifest(out: Path) -> dict:
    try:
        found = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"version": FORMAT_VERSION, "days": {}, "snapshots": {}}
    if found.get("version") != FORMAT_VERSION:   # another layout: start over (every day is rewritten)
        return {"version": FORMAT_VERSION, "days": {}, "snapshots": {}}
    return found


def _save_manifest(out: Path, manifest: dict) -> None:
    tmp = out / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, out / MANIFEST)


def _write(cur, name: str, target: Path, **params) -> int:
    """The query's rows into `target` (Parquet), via a temporary file moved into place; rows written."""
    import pyarrow.parquet as pq

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    reader = cur.sql(queries.sql(name), params=params).to_arrow_reader(BATCH_ROWS)
    rows = 0
    with pq.ParquetWriter(tmp, reader.schema, compression="zstd") as writer:
        for batch in reader:
            writer.write_batch(batch)
            rows += batch.num_rows
    os.replace(tmp, target)
    return rows


def _day_range(day: str) -> tuple[dt.datetime, dt.datetime]:
    lo = dt.datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=dt.timezone.utc)
    return lo, lo + dt.timedelta(days=1)


def export(con, out: Path | str, *, snapshots: bool = True) -> dict:
    """Bring DIR up to date with the database; returns what it did:
    {"days_written": n, "events_written": n, "days_removed": n, "days": total, "snapshots": {table: rows}}."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    manifest = _manifest(out)
    cur = con.cursor()
    try:
        days = {dt_: (int(n), fp) for dt_, n, fp in cur.execute(queries.sql("warehouse/event_days")).fetchall()}
        done = {"days_written": 0, "events_written": 0, "days_removed": 0, "days": len(days), "snapshots": {}}
        for day, (count, fingerprint) in days.items():
            if manifest["days"].get(day) == {"events": count, "fingerprint": fingerprint}:
                continue
            lo, hi = _day_range(day)
            written = _write(cur, "warehouse/events_day", out / "events" / f"dt={day}" / "part-0.parquet", lo=lo, hi=hi)
            manifest["days"][day] = {"events": written, "fingerprint": fingerprint}
            _save_manifest(out, manifest)          # after each day: a crash costs at most that day again
            done["days_written"] += 1
            done["events_written"] += written
        for day in sorted(set(manifest["days"]) - set(days)):   # a day whose events are gone (a restore)
            target = out / "events" / f"dt={day}" / "part-0.parquet"
            target.unlink(missing_ok=True)
            if target.parent.exists() and not any(target.parent.iterdir()):
                target.parent.rmdir()
            del manifest["days"][day]
            done["days_removed"] += 1
        if snapshots:
            for table in SNAPSHOTS:
                rows = _write(cur, f"warehouse/snapshot_{table}", out / table / "snapshot.parquet")
                manifest["snapshots"][table] = {"rows": rows,
                                                "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
                done["snapshots"][table] = rows
        _save_manifest(out, manifest)
        return done
    finally:
        cur.close()


def target_dir() -> Path | None:
    """DASHBOARD_PARQUET_DIR, or None when the worker should not export."""
    from dashboard.core import config

    raw = (config.get("DASHBOARD_PARQUET_DIR") or "").strip()
    return Path(raw) if raw else None
