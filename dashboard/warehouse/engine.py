"""Where a read goes: DuckDB (the default) or the warehouse (DASHBOARD_ENGINE=clickhouse).

With `clickhouse`, `queries.run` hands the reads of the analytics areas (ENGINE_AREAS: what the
Overview, Acquisition, Funnel, Cohorts, Engagement, Deliveries, Segments and Account health pages,
the check-up's rules and the send-time grid read) to the warehouse; everything else — every write,
and the reads of transactional state (TRANSACTIONAL) — stays in DuckDB. A segment's members are
materialised where its breakdowns are read (audience/running.py `materialise`), and a send's
audience is read from the warehouse once, kept in DuckDB and written to the ledger there
(messaging/planning.py through warehouse/send_audience.py).
"""
from __future__ import annotations

import re
import threading

import pandas as pd

from dashboard.core import config

ENGINES = ("duckdb", "clickhouse")
ENGINE_AREAS = ("overview", "acquisition", "funnel", "cohorts", "engagement", "deliveries", "segments",
                "account", "checkup", "send_time")
# reads in those areas that stay in DuckDB: state the product writes and reads back at once
TRANSACTIONAL = {
    "deliveries/status_of": "a send's status, read by the send engine between its own writes",
    "deliveries/unanswered_batches": "the ledger's unanswered batches, read to settle them",
    "deliveries/detail_batches": "the ledger by batch: a send's progress while it runs",
    "segments/list": "saved segments are transactional state (they stay in DuckDB)",
    "segments/sizes": "saved segments' daily sizes, written by this process",
    # the check-up: its rules' reads go to the warehouse; the alerts, the goals and the record of its
    # runs are written by this process and read back at once (checkup/alerts.py, checkup/goals.py)
    "checkup/alerts_live": "the live alerts, compared with the findings and updated in one transaction",
    "checkup/alert_get": "one alert, read before staff acknowledge or mute it",
    "checkup/alert_insert": "alerts are written by this process",
    "checkup/alert_seen": "alerts are written by this process",
    "checkup/alert_resolve": "alerts are written by this process",
    "checkup/alert_act": "alerts are written by this process",
    "checkup/goals_list": "the goals an admin set (transactional state)",
    "checkup/goal_upsert": "goals are written by this process",
    "checkup/goal_delete": "goals are written by this process",
    "checkup/last_check": "when the check-up last ran: its own record",
    "checkup/record_check": "the record of a check-up run, written by this process",
    "checkup/quarantined_recent": "the loader's quarantine: DuckDB's own state (the Data page's)",
}
_WRITE = re.compile(r"^\s*(insert|update|delete|create|drop|alter|copy|set|pragma|begin|commit|rollback|"
                    r"checkpoint|attach|detach)\b", re.I)
_COMMENT = re.compile(r"--[^\n]*")
_lock = threading.Lock()
_warehouse = None


class EngineError(ValueError):
    pass


def engine() -> str:
    value = (config.get("DASHBOARD_ENGINE") or "duckdb").strip().lower()
    if value not in ENGINES:
        raise EngineError(f"DASHBOARD_ENGINE must be one of {', '.join(ENGINES)}, not {value!r}")
    return value


def is_write(sql: str) -> bool:
    return bool(_WRITE.match(_COMMENT.sub("", sql)))


def warehouse_reads(name: str, sql: str) -> bool:
    """True when query `name` (text `sql`) is read from the warehouse under DASHBOARD_ENGINE=clickhouse."""
    return (name.split("/", 1)[0] in ENGINE_AREAS and name not in TRANSACTIONAL and not is_write(sql))


def warehouse():
    """The process's warehouse (one chdb session per process, or one server client)."""
    global _warehouse
    with _lock:
        if _warehouse is None:
            from dashboard.warehouse import clickhouse

            _warehouse = clickhouse.Warehouse()
        return _warehouse


def reset() -> None:
    """Forget the warehouse (tests; a changed setting)."""
    global _warehouse
    with _lock:
        _warehouse = None


def routed(name: str, sql: str, params: dict) -> pd.DataFrame | None:
    """The frame of a read the warehouse answers, or None when DuckDB should (core/queries.run)."""
    if engine() != "clickhouse" or not warehouse_reads(name, sql):
        return None
    return warehouse().run(name, **params)


def on_warehouse() -> bool:
    return engine() == "clickhouse"
