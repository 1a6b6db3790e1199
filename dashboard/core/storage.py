"""The DuckDB file: opening it, creating and upgrading its schema.

One process owns the file read-write (DESIGN §4); within it, each thread takes its own
`cursor()` because a DuckDB connection is not thread-safe.
"""
from __future__ import annotations

import os
import re
from contextlib import contextmanager
from pathlib import Path

import duckdb

from dashboard.core import config, queries

SCHEMA_FILE = config.ROOT / "queries" / "schema.sql"
MIGRATIONS_DIR = config.ROOT / "queries" / "migrations"
_MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")
queries.require("schema_version/tables", "schema_version/latest", "schema_version/record", "meta/checkpoint")


class StorageError(RuntimeError):
    """The database cannot be used; the message says why in one line."""


PRIVATE_UMASK = 0o077   # files 0600, folders 0700: friends' data is nobody else's on a shared machine


@contextmanager
def transaction(cur):
    """`with storage.transaction(cur):` — begin, then commit when the block ends, or roll back and
    re-raise when it raises (anything, KeyboardInterrupt included: a half-written send plan or
    import never stays). The one helper for every write that must be whole; `cur` is the thread's
    own cursor (DuckDB connections are not thread-safe)."""
    cur.execute("begin")
    try:
        yield cur
    except BaseException:
        try:
            cur.execute("rollback")
        except duckdb.TransactionException:  # no transaction open any more: the first error is the one to see
            pass
        raise
    cur.execute("commit")


def checkpoint(con) -> None:
    """Write the WAL into the database file."""
    con.execute(queries.sql("meta/checkpoint"))


def private_umask() -> None:
    """For the dashboard's own processes (app.py, the CLI, the receiver): every file they create —
    the database and its WAL, backups, the spool — is readable by the service user only."""
    os.umask(PRIVATE_UMASK)


def make_private(path: Path) -> None:
    """chmod 0600 (a file) or 0700 (a folder) when it exists; quietly skips what is not ours."""
    try:
        os.chmod(path, 0o700 if Path(path).is_dir() else 0o600)
    except (FileNotFoundError, PermissionError):
        pass


def private_dir(path: Path) -> None:
    """Create a folder (and its parents) 0700; an existing folder made by us is tightened too."""
    Path(path).mkdir(parents=True, exist_ok=True, mode=0o700)
    make_private(path)


def migrations(directory: Path = MIGRATIONS_DIR) -> dict[int, Path]:
    found = {}
    for path in sorted(directory.glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if not match:
            raise StorageError(f"migration file {path.name} is not named NNN_name.sql")
        found[int(match.group(1))] = path
    return found


def current_version(directory: Path = MIGRATIONS_DIR) -> int:
    return max([1, *migrations(directory)])


def connect(path: Path | str, *, read_only: bool = False, timezone: str | None = None,
            migrations_dir: Path = MIGRATIONS_DIR) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) a dashboard database at the current schema version."""
    path = Path(path)
    if read_only and not path.exists():
        raise StorageError(f"database {path} does not exist")
    if not path.parent.exists():
        private_dir(path.parent)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise StorageError(
                f"database {path} is held by another process (a running dashboard or command); "
                "stop it or point DASHBOARD_DB at a copy") from None
        raise StorageError(f"cannot open {path}: {exc}") from None
    # GLOBAL: cursors are sessions of their own and would otherwise compute days in UTC.
    con.execute("set global TimeZone = $tz", {"tz": timezone or config.timezone()})
    limit = (config.get("DASHBOARD_MEMORY_LIMIT") or "").strip()
    if limit:   # a machine shared with other work (a 10M demo build otherwise takes 80 % of it)
        try:
            con.execute("set global memory_limit = $limit", {"limit": limit})
        except duckdb.Error:
            con.close()
            raise StorageError(f"DASHBOARD_MEMORY_LIMIT {limit!r} is not a size DuckDB understands (e.g. 8GB)") from None
    if not read_only:
        make_private(path)   # even without the umask: the file holds friends' data
        ensure_schema(con, migrations_dir)
    else:
        _check_version(con, migrations_dir)
    return con


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute(queries.sql("schema_version/tables")).fetchall()
    return {r[0] for r in rows}


def schema_version(con: duckdb.DuckDBPyConnection) -> int | None:
    """The schema version recorded in the file (None in an empty table)."""
    return con.execute(queries.sql("schema_version/latest")).fetchone()[0]


def _version(con: duckdb.DuckDBPyConnection) -> int | None:
    tables = _tables(con)
    if "schema_version" not in tables:
        if tables:
            raise StorageError("this DuckDB file has tables but no schema_version: "
                               "it was not made by this dashboard")
        return None
    return schema_version(con)


def _check_version(con, migrations_dir: Path) -> int | None:
    version = _version(con)
    latest = current_version(migrations_dir)
    if version is not None and version > latest:
        raise StorageError(f"database schema version {version} is newer than this program "
                           f"(knows up to {latest}); upgrade the dashboard")
    return version


def ensure_schema(con: duckdb.DuckDBPyConnection, migrations_dir: Path = MIGRATIONS_DIR) -> int:
    """Create a new database, or upgrade an older one step by step. Returns the version."""
    version = _check_version(con, migrations_dir)
    latest = current_version(migrations_dir)
    if version is None:
        with transaction(con):
            con.execute(SCHEMA_FILE.read_text(encoding="utf-8"))
            con.execute(queries.sql("schema_version/record"), {"v": latest, "note": "created"})
        return latest
    for number, path in sorted(migrations(migrations_dir).items()):
        if number <= version:
            continue
        if number != version + 1:
            raise StorageError(f"no migration from schema version {version} to {version + 1}")
        try:
            with transaction(con):
                con.execute(path.read_text(encoding="utf-8"))
                con.execute(queries.sql("schema_version/record"),
                            {"v": number, "note": f"upgraded by {path.name}"})
        except duckdb.Error as exc:
            raise StorageError(f"upgrade {path.name} failed, database left at version "
                               f"{version}: {exc}") from None
        version = number
    return version
