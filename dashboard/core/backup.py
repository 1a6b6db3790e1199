"""Backups of the DuckDB file while the dashboard runs.

The dashboard process holds the file read-write, so no other process can copy it consistently.
The worker therefore makes the backup itself, once a day at DASHBOARD_BACKUP_HOUR (account time
zone) when DASHBOARD_BACKUP_DIR is set: it attaches a new file and copies the whole database into
it in one transaction (a consistent snapshot; writers carry on), then keeps the newest
DASHBOARD_BACKUP_KEEP files. `python -m dashboard backup` does the same when the dashboard is not
running. The webhook spool is the other half of the data: back it up with the file system.

`python -m dashboard restore BACKUP` (restore() below) puts a backup back while the dashboard is
stopped: it refuses while the file is in use and sets the old file and its WAL aside.
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from dashboard.core import config, storage

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


# ---- restore ------------------------------------------------------------------------------------

@dataclass
class Restored:
    database: Path
    version: int                  # schema version of the restored file (after any upgrade)
    backup_version: int           # as the backup had it
    set_aside: list[Path]         # the old file and its WAL, renamed (nothing is deleted)


def _backup_version(path: Path) -> int:
    """The schema version of a backup, or StorageError saying why it cannot be restored."""
    if not path.is_file():
        raise storage.StorageError(f"no backup file {path}")
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise storage.StorageError(f"{path.name} does not open as a DuckDB database: {exc}") from None
    try:
        version = storage._check_version(con, storage.MIGRATIONS_DIR)   # refuses a newer schema
        if version is None:
            raise storage.StorageError(f"{path.name} is an empty DuckDB file, not a dashboard backup")
        return version
    finally:
        con.close()


def _refuse_if_held(db: Path) -> None:
    """A running dashboard (or command) holds the file's lock: never replace a file in use."""
    if not db.exists():
        return
    try:
        duckdb.connect(str(db)).close()
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise storage.StorageError(
                f"{db.name} is held by a running dashboard or command: stop it first "
                "(sudo systemctl stop line-dashboard); nothing was changed") from None
    except duckdb.Error:
        return  # e.g. its WAL does not match it: that file is about to be set aside anyway


def restore(backup_file: Path | str, db: Path | str, now: dt.datetime | None = None) -> Restored:
    """Replace the database `db` by a backup, safely: the backup must open at a schema version
    this program knows; the database must not be in use; the old file and its WAL are renamed to
    *.before-restore-YYYYMMDD-HHMMSS (a stale WAL would otherwise make the restored file fail to
    open); the copy keeps the old file's owner and mode, and is opened (and upgraded) once."""
    backup_file, db = Path(backup_file), Path(db)
    backup_version = _backup_version(backup_file)
    _refuse_if_held(db)
    now = now or dt.datetime.now(ZoneInfo(config.timezone()))
    db.parent.mkdir(parents=True, exist_ok=True)
    incoming = db.with_name(db.name + ".restoring")
    shutil.copyfile(backup_file, incoming)
    with incoming.open("rb+") as fh:
        os.fsync(fh.fileno())
    previous = db.stat() if db.exists() else None
    os.chmod(incoming, (previous.st_mode & 0o777) if previous else 0o600)
    if previous is not None and os.geteuid() == 0:  # run with sudo: the service must still own it
        os.chown(incoming, previous.st_uid, previous.st_gid)
    suffix = f".before-restore-{now:%Y%m%d-%H%M%S}"
    set_aside = []
    for old in (db, Path(str(db) + ".wal")):
        if old.exists():
            aside = old.with_name(old.name + suffix)
            old.rename(aside)
            set_aside.append(aside)
    incoming.rename(db)
    try:
        con = storage.connect(db)   # opens, upgrades an older schema, checks the version
    except storage.StorageError:
        db.rename(db.with_name(db.name + ".failed-restore"))
        for aside in set_aside:     # put the old files back as they were
            aside.rename(aside.with_name(aside.name[: -len(suffix)]))
        raise
    try:
        version = storage.schema_version(con)
        storage.checkpoint(con)
    finally:
        con.close()
    return Restored(db, version, backup_version, set_aside)
