"""The warehouse: ClickHouse, embedded (chdb) or a server (clickhouse-connect), one SQL text for both.

`Warehouse.run(name, **params)` is `queries.run` for ClickHouse: the query's ClickHouse text
(dialect.py: override or transpiled, scoped to this account) with its values bound by the driver.
Only the transport differs between chdb and a server: `Chdb` and `Server` below take the same
text and the same parameter values; neither ever sees a value spelt into the SQL.

`Warehouse.load(parquet_dir)` brings ClickHouse up to date from the Parquet interchange: the
events of every export run not loaded yet (exactly once: a run whose load was interrupted is
removed and loaded again), then the dimension tables' snapshots.
"""
from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse, unquote
from zoneinfo import ZoneInfo

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from dashboard.core import config
from dashboard.warehouse import dialect, parquet

SCHEMA_FILE = dialect.OVERRIDES_DIR / "schema.sql"
WAREHOUSE_SQL = dialect.OVERRIDES_DIR / "warehouse"
# Query settings every session uses: SQL's null semantics where ClickHouse defaults differ
# (outer joins give NULL, not 0 or ''; an aggregate over no rows is NULL, as in DuckDB), and the
# account's time zone for every day and hour (DuckDB's TimeZone setting, storage.connect).
# prefer_column_name_to_alias: `count(*) filter (where reacted) as reacted` means the column, as in
# DuckDB, not the alias being defined.
NULL_SEMANTICS = {"join_use_nulls": 1, "aggregate_functions_null_for_empty": 1, "prefer_column_name_to_alias": 1}


class Identifier(str):
    """A table name bound as ClickHouse's {name:Identifier}: only names from dialect.TABLES."""

    def __new__(cls, name: str):
        if name not in dialect.TABLES:
            raise dialect.DialectError(f"{name!r} is not a warehouse table")
        return super().__new__(cls, name)


def session_settings() -> dict:
    return {**NULL_SEMANTICS, "session_timezone": config.timezone()}


def _statements(path: Path) -> list[str]:
    text = "\n".join(line for line in path.read_text(encoding="utf-8").splitlines()
                     if not line.lstrip().startswith("--"))
    return [s.strip() for s in text.split("\n;") if s.strip()]


def _own(name: str) -> str:
    return (WAREHOUSE_SQL / f"{name}.sql").read_text(encoding="utf-8")


def _bind(sql: str, params: dict) -> tuple[str, dict]:
    """Own ClickHouse statements (typed {name:Type} already): Identifiers as they are."""
    values = {}
    for key, value in params.items():
        if isinstance(value, Identifier):
            values[key] = str(value)
        elif isinstance(value, str):
            values[key] = dialect._escape(value)
        else:
            values[key] = str(int(value))
    return sql, values


# ---- transports -------------------------------------------------------------------------------

class Chdb:
    """Embedded ClickHouse in this process. chdb allows one session per process: shared here."""

    _sessions: dict[str, object] = {}
    _lock = threading.Lock()

    def __init__(self, path: Path | str):
        from chdb import session as chdb_session

        self.path = str(Path(path).resolve())
        settings = "&".join(f"{k}={v}" for k, v in session_settings().items())
        with self._lock:
            if self.path not in self._sessions:
                for other in list(self._sessions.values()):   # one at a time in a process
                    other.close()
                self._sessions.clear()
                Path(self.path).mkdir(parents=True, exist_ok=True)
                self._sessions[self.path] = chdb_session.Session(f"{self.path}?{settings}")
            self.session = self._sessions[self.path]
        self.lock = threading.Lock()

    def query(self, sql: str, values: dict) -> pd.DataFrame:
        with self.lock:
            table = self.session.query(sql, "ArrowTable", params=values or None)
        return table.to_pandas()

    def command(self, sql: str, values: dict) -> None:
        with self.lock:
            self.session.query(sql, "CSV", params=values or None)

    def insert_arrow(self, table: str, batch: pa.Table) -> None:
        sql, values = _bind(_own("insert_arrow"), {"table": Identifier(table)})
        with self.lock:
            self.session.query(sql, "CSV", params=values)   # reads `batch` (chdb's Python())

    @classmethod
    def close_all(cls) -> None:
        with cls._lock:
            for s in cls._sessions.values():
                s.close()
            cls._sessions.clear()


class Server:
    """A ClickHouse server through clickhouse-connect (HTTP), with the same text and values."""

    def __init__(self, url: str):
        import clickhouse_connect

        u = urlparse(url)
        self.client = clickhouse_connect.get_client(
            host=u.hostname, port=u.port or (8443 if u.scheme == "https" else 8123),
            username=unquote(u.username or "default"), password=unquote(u.password or ""),
            database=(u.path or "/").strip("/") or "default", secure=u.scheme == "https",
            settings=session_settings())

    def query(self, sql: str, values: dict) -> pd.DataFrame:
        return self.client.query_arrow(sql, parameters=values).to_pandas()

    def command(self, sql: str, values: dict) -> None:
        self.client.command(sql, parameters=values)

    def insert_arrow(self, table: str, batch: pa.Table) -> None:
        self.client.insert_arrow(Identifier(table), batch)


def transport():
    url = config.get("DASHBOARD_CLICKHOUSE_URL")
    return Server(url) if url else Chdb(config.get("DASHBOARD_CHDB_PATH"))


# ---- the warehouse ----------------------------------------------------------------------------

@dataclass
class Load:
    events: int = 0
    runs: int = 0
    reloaded: bool = False
    snapshots: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


class Warehouse:
    def __init__(self, link=None, account_id: str | None = None):
        self.link = link or transport()
        self.account_id = account_id or config.get("DASHBOARD_ACCOUNT_ID")

    # reads: the dashboard's queries, by name
    def run(self, name: str, **params) -> pd.DataFrame:
        marked = dialect.clickhouse_sql(name)
        sql, values = dialect.bind(marked, {**params, dialect.ACCOUNT: self.account_id})
        return self.link.query(sql, values)

    def run_compiled(self, marked_sql: str, params: dict) -> pd.DataFrame:
        """A compiled audience in ClickHouse SQL (rules.Compiled.in_dialect("clickhouse") and its
        shapes): its values bound like a query file's."""
        sql, values = dialect.bind(marked_sql, {**params, dialect.ACCOUNT: self.account_id})
        return self.link.query(sql, values)

    def execute_compiled(self, marked_sql: str, params: dict) -> None:
        """The same for a statement without rows (an audience materialised in a temp table)."""
        sql, values = dialect.bind(marked_sql, {**params, dialect.ACCOUNT: self.account_id})
        self.link.command(sql, values)

    def snapshots_taken(self) -> dt.datetime | None:
        """When the dimension tables loaded last (friends, the ledger, …) were taken from DuckDB."""
        taken = self.link.query(*self._own("snapshots_taken")).iat[0, 0]
        return None if taken is None or pd.isna(taken) else pd.Timestamp(taken).to_pydatetime()

    def _own(self, name: str, **params):
        sql, values = _bind(_own(name), {**params, "account_id": self.account_id})
        return sql, values

    def ensure_schema(self) -> None:
        zone = ZoneInfo(config.timezone()).key   # a known IANA name, or ZoneInfo raises
        for statement in _statements(SCHEMA_FILE):
            self.link.command(statement.replace("{timezone}", zone), {})

    # loads: from the Parquet interchange
    def _insert(self, table: str, data: pa.Table, **extra) -> None:
        columns = {dialect.ACCOUNT: pa.array([self.account_id] * data.num_rows, pa.string())}
        data = pa.Table.from_arrays([columns[dialect.ACCOUNT], *data.columns],
                                    names=[dialect.ACCOUNT, *data.column_names])
        for name, value in extra.items():
            data = data.append_column(name, pa.array([value] * data.num_rows, pa.uint64()))
        if data.num_rows:
            self.link.insert_arrow(table, data)

    def load(self, directory: Path | str, *, snapshots: bool = True) -> Load:
        start = time.perf_counter()
        directory = Path(directory)
        state = parquet.read_state(directory)
        result = Load()
        if state is None:
            raise dialect.DialectError(f"no Parquet export in {directory} (python -m dashboard export --parquet DIR)")
        self.ensure_schema()
        kind = f"events@{state['generation']}"
        loaded = int(self.link.query(*self._own("loaded_run", kind=kind)).iat[0, 0])
        if loaded == 0:
            # a new generation (a full export rewrote the files): this account's events start over
            self.link.command(*_bind(_own("clear_table"), {"table": Identifier("events"),
                                                            "account_id": self.account_id}))
            result.reloaded = True
        for run in range(loaded + 1, state["run"] + 1):
            if int(self.link.query(*self._own("count_run", run=run)).iat[0, 0]):
                self.link.command(*self._own("forget_run", run=run))   # an interrupted load of it
            for path in parquet.run_files(directory, run):
                data = pq.read_table(path)
                self._insert("events", data, _run=run)
                result.events += data.num_rows
            self.link.command(*self._own("record_run", kind=kind, run=run))
            result.runs += 1
        if snapshots:
            version = time.time_ns() // 1000
            for table in parquet.SNAPSHOTS:
                data = pq.read_table(directory / table / "snapshot.parquet")
                if table in dialect.REPLACING:
                    self._insert(table, data, _version=version)   # the newest version wins (final)
                else:
                    self.link.command(*_bind(_own("clear_table"), {"table": Identifier(table),
                                                                    "account_id": self.account_id}))
                    self._insert(table, data)
                result.snapshots[table] = data.num_rows
            if state.get("snapshots_at") is not None:   # what they are as of (a send's audience says it)
                self.link.command(*self._own("record_snapshots", taken=int(state["snapshots_at"] * 1_000_000)))
        result.seconds = time.perf_counter() - start
        return result
