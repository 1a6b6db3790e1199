"""Backups of the DuckDB file while the dashboard runs.

The dashboard process holds the file read-write, so no other process can copy it consistently.
The worker therefore makes the backup itself, once a day at DASHBOARD_BACKUP_HOUR (account time
zone) when DASHBOARD_BACKUP_DIR is set: it attaches a new file and copies the whole database into
it in one transaction (a consistent snapshot; writers carry on), then keeps the newest
DASHBOARD_BACKUP_KEEP files. `python -m dashboard backup` does the same when the dashboard is not
running. The webhook spool is the other half of the data: back it up with the file system.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from dashboard import config, storage

PATTERN = "dashboard-*.duckdb"


def backup_dir() -> Path | None:
    value = config.get("DASHBOARD_BACKUP_DIR")
    if not value:
        return None
    path = Path(value)
    return path if path.is_absolute() else config.ROOT / path


def make(con, directory: Path, now: dt.datetime | None = None, keep: int | None = None) -> Path:
    """Copy the database behind `con` into directory/dashboard-YYYYMMDD-HHMM.duckdb."""
    now = now or dt.datetime.now(ZoneInfo(config.timezone()))
    keep = keep or config.get_int("DASHBOARD_BACKUP_KEEP")
    storage.private_dir(directory)
    target = directory / f"dashboard-{now:%Y%m%d-%H%M}.duckdb"
    partial = target.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    cur = con.cursor()
    try:
        source = cur.execute("select current_database()").fetchone()[0].replace('"', '""')
        # ATTACH takes a path, not a bound value; the path is ours (setting + timestamp), quoted
        cur.execute("attach '" + str(partial).replace("'", "''") + "' as backup_target")
        try:
            cur.execute(f'copy from database "{source}" to backup_target')
        finally:
            cur.execute("detach backup_target")
    finally:
        cur.close()
    Path(str(partial) + ".wal").unlink(missing_ok=True)
    storage.make_private(partial)
    partial.rename(target)  # only complete backups carry the .duckdb name
    for old in sorted(directory.glob(PATTERN))[:-keep]:
        old.unlink()
    return target


def due(directory: Path, now: dt.datetime | None = None) -> bool:
    """True once a day, from DASHBOARD_BACKUP_HOUR on, when today's backup is not there yet."""
    now = now or dt.datetime.now(ZoneInfo(config.timezone()))
    if now.hour < config.get_int("DASHBOARD_BACKUP_HOUR"):
        return False
    return not any(directory.glob(f"dashboard-{now:%Y%m%d}-*.duckdb"))
