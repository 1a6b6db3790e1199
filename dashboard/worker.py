"""The dashboard process's background work, started with the server (st.App lifespan in app.py):
the sandbox when no access token is configured, and a loop of duties. It runs in the process that
owns the DuckDB file (DESIGN §4).

Each duty (DUTIES: the loader, sends, backups) is its own guarded step: one that fails is retried
with exponential backoff (BACKOFF_FIRST_S doubling up to BACKOFF_MAX_S) and never keeps the others
from running — a backup folder the service cannot write to no longer stops scheduled and resumed
sends. Each duty's last success, last error (one line: no secret, no folder) and next try are kept
in memory for the Data page and the dashboard's /healthz. The scenario runner is one more Duty:
it enrols, exits and plans due steps; the sends duty sends them like any planned delivery. stop() ends the loop, then checkpoints and closes the database so a
clean stop leaves no WAL behind (a restore then opens: `python -m dashboard restore`).
"""
from __future__ import annotations

import datetime as dt
import logging
import re
import threading
import time
from dataclasses import dataclass
from typing import Callable

from dashboard.core import backup, config, settings_audit, storage
from dashboard.intake import loader
from dashboard.line import api
from dashboard.messaging import sending

LOG = logging.getLogger("dashboard.worker")
POLL_S = 1.0
BACKUP_CHECK_S = 30.0       # how often the backup duty asks whether today's backup is due
BACKOFF_FIRST_S = 2.0       # a failed duty waits this long, then twice as long after each failure ...
BACKOFF_MAX_S = 300.0       # ... up to five minutes
STOP_WAIT_S = 20.0          # stop() waits this long for the loop's current step (systemd gives 30 s)
_stop = threading.Event()
_thread: threading.Thread | None = None
_con = None
_con_lock = threading.Lock()


def native_name(name: str) -> None:
    """Give the calling thread an OS-level name (Linux: /proc/<pid>/task/<tid>/comm, `top -H`), so
    that the background's CPU can be told from the pages' (bench/sessions.py reads it). Python 3.11
    names threads for itself only. At most 15 bytes; elsewhere than Linux, nothing."""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(15, name.encode()[:15], 0, 0, 0)   # PR_SET_NAME
    except (OSError, AttributeError):
        pass


def _named(name: str, target: Callable) -> Callable:
    def run(*args):
        native_name(name)
        return target(*args)
    return run


def start_sandbox() -> str | None:
    """Make sure the sandbox this dashboard talks to is its own (issue 19, point 11).

    A sandbox that answers on DASHBOARD_SANDBOX_PORT is used only when it serves this dashboard's
    state folder (its /sandbox/health instance is the one in that folder: dashboard/line/sandbox_owner.py).
    Another dashboard's sandbox, or another program, on that port: this dashboard serves its own on a
    free loopback port and points its LINE client there. Its monthly quota and this month's use are
    the account's as last known (line_quota: the demo's Standard plan, or the last LINE sync), so the
    compose page's cost panel and the Overview agree."""
    if not config.is_sandbox() or config.is_set("LINE_API_BASE_URL"):
        return None
    from dashboard.line import sandbox_owner, sandbox_process

    state_dir = config.db_path().parent / "sandbox"
    port = config.get_int("DASHBOARD_SANDBOX_PORT")
    url = f"http://127.0.0.1:{port}"
    owner = sandbox_owner.whose(url, state_dir)
    if owner == "ours":
        return url
    if owner == "other" or not _port_free(port):
        taken = port
        port = sandbox_process.free_port()
        url = f"http://127.0.0.1:{port}"
        LOG.warning("port %s answers %s, not this dashboard's sandbox: serving its own on %s", taken,
                    "another dashboard's sandbox" if owner == "other" else "another program", url)
    sandbox_owner.choose(url)   # from now on api.sandbox_url() is this one, whatever answers elsewhere
    import uvicorn

    from dashboard.line import sandbox

    state = sandbox.State(state_dir)
    _account_quota(state)
    server = uvicorn.Server(uvicorn.Config(sandbox.build_app(state), host="127.0.0.1", port=port,
                                           log_level="warning", access_log=False))
    server.install_signal_handlers = lambda: None  # the dashboard's server owns the signals
    threading.Thread(target=_named("dash-sandbox", server.run), name="sandbox", daemon=True).start()
    for _ in range(50):
        if sandbox_owner.whose(url, state_dir) == "ours":
            break
        time.sleep(0.1)
    else:   # sends then fail with "connection refused": none lands in a sandbox that is not ours
        LOG.error("the sandbox LINE API did not start on %s: sends are refused until it does", url)
        return url
    LOG.warning("sandbox LINE API on %s: nothing leaves this machine", url)
    return url


def _port_free(port: int) -> bool:
    import socket

    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _account_quota(state) -> None:
    """The sandbox's quota and this month's consumption from the account's last known quota."""
    from dashboard.core import queries

    try:
        con = storage.connect(config.db_path())   # same file, same process: the dashboard's instance
        try:
            row = queries.run(con.cursor(), "sync/latest_quota")
        finally:
            con.close()
    except Exception as exc:   # no database yet, say: the sandbox keeps its defaults
        LOG.warning("sandbox quota left at its default: %s", one_line(exc))
        return
    if row.empty:
        return
    latest = row.iloc[0]
    if latest["quota_type"] == "limited" and latest["quota_value"] == latest["quota_value"]:
        state.quota = int(latest["quota_value"])
    checked = latest["checked_at"].tz_convert("UTC")
    if checked.strftime("%Y-%m") == state.month() and latest["total_usage"] == latest["total_usage"]:
        state.seed_usage(state.month(), int(latest["total_usage"]), checked.isoformat())


# ---- duties -------------------------------------------------------------------------------------

_PATH = re.compile(r"(?<![\w:/.])(?:[/\\][^/\\\s'\"]+)+[/\\]?")   # not in URLs or "HTTP/1.1"


def one_line(exc: BaseException | str) -> str:
    """An error as one short line for the operator: no traceback, no secret value, no folder
    (an absolute path keeps only its file name)."""
    text = str(exc) if isinstance(exc, str) else f"{type(exc).__name__}: {exc}"
    text = " ".join(text.split())
    for s in config.SETTINGS:
        value = config.get(s.name) if s.secret else None
        if value and len(value) >= 4:
            text = text.replace(value, "***")
    text = _PATH.sub(lambda m: "…/" + re.split(r"[/\\]", m.group(0).rstrip("/\\"))[-1], text)
    return text[:240]


@dataclass
class Duty:
    name: str
    step: Callable            # step(con) -> None, or "off" when the duty is not configured
    every: Callable[[], float]
    needs_db: bool = True
    state: str = "waiting"    # waiting (not run yet), ok, failing, off
    runs: int = 0
    failures: int = 0         # in a row
    last_success: dt.datetime | None = None
    last_error: str | None = None
    last_error_at: dt.datetime | None = None
    next_at: float = 0.0      # time.monotonic() of the next try
    next_try: dt.datetime | None = None   # the same, as a time of day (UTC) for people

    def due(self, now: float) -> bool:
        return now >= self.next_at

    def run(self, con, now: float) -> None:
        self.runs += 1
        try:
            outcome = self.step(con)
        except Exception as exc:  # this duty fails alone; the next try backs off
            self.failed(exc, now)
            return
        self.failures = 0
        self.state = "off" if outcome == "off" else "ok"
        self.last_success = dt.datetime.now(dt.timezone.utc)
        self._schedule(now, self.every())

    def failed(self, exc: BaseException | str, now: float) -> None:
        self.failures += 1
        self.state = "failing"
        self.last_error, self.last_error_at = one_line(exc), dt.datetime.now(dt.timezone.utc)
        delay = min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2 ** (self.failures - 1))
        self._schedule(now, delay)
        LOG.error("%s failed (%d in a row; next try in %.0f s): %s", self.name, self.failures, delay,
                  self.last_error)

    def _schedule(self, now: float, delay: float) -> None:
        self.next_at = now + delay
        self.next_try = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=delay)

    def noted(self, message: str) -> None:
        """A problem found by work the duty started (e.g. a send that paused): shown, no backoff."""
        self.last_error, self.last_error_at = one_line(message), dt.datetime.now(dt.timezone.utc)
        LOG.warning("%s: %s", self.name, self.last_error)

    def snapshot(self) -> dict:
        return {"duty": self.name, "state": self.state, "failures": self.failures, "runs": self.runs,
                "last_success": self.last_success, "last_error": self.last_error,
                "last_error_at": self.last_error_at, "next_try": self.next_try}


def _load_spool(con) -> None:
    result = loader.load_all(con)  # a failed round changed nothing (one transaction); the next one retries
    if result.lines:
        LOG.info("loaded %d spool lines: %d events, %d duplicates, %d quarantined",
                 result.lines, result.loaded, result.duplicates, result.quarantined)


def _warehouse(con):
    """Issue 17: the Parquet interchange after the loads (new events exactly once, the tables as
    snapshots) and, with DASHBOARD_ENGINE=clickhouse, the warehouse brought up to date from it."""
    from dashboard.warehouse import engine, parquet
    from dashboard.warehouse.clickhouse import Warehouse

    directory = parquet.parquet_dir()
    if directory is None:
        return "off"
    cur = con.cursor()
    try:
        parquet.bring_up_to_date(cur, directory)
    finally:
        cur.close()
    if engine.on_warehouse():
        warehouse = engine.warehouse()
        if isinstance(warehouse, Warehouse):
            warehouse.load(directory)


_sending: dict[str, threading.Thread] = {}


def _send_one(con, delivery_id: str) -> None:
    try:
        report = sending.run(con, delivery_id)
    except sending.SendError:
        return  # another runner in this process has it
    except Exception as exc:
        DUTIES["sends"].noted(f"{delivery_id}: {one_line(exc)}")
        return
    if report.status in ("paused", "stopped", "failed", "partially_failed"):
        DUTIES["sends"].noted(f"{delivery_id}: {report.status}" + (f" ({report.stop_reason})" if report.stop_reason else ""))
    try:  # the pages' per-delivery numbers and the segments' counts include this send from now on
        from dashboard.analytics import rollups

        rollups.apply(con, since=dt.datetime.now(dt.timezone.utc))
    except Exception as exc:  # a failed refresh only delays numbers; the send itself is done
        LOG.warning("rollups after send %s: %s", delivery_id, one_line(exc))


def _sends(con) -> None:
    """Resume interrupted sends and start scheduled ones that are due, each on its own thread."""
    from dashboard.messaging import planning

    if planning.in_quiet_hours(dt.datetime.now(dt.timezone.utc)):
        return  # nothing starts or resumes in quiet hours: it waits for the morning
    cur = con.cursor()
    try:
        due = sending.resumable(cur)
    finally:
        cur.close()
    for delivery_id in due:
        running = _sending.get(delivery_id)
        if running is not None and running.is_alive():
            continue
        thread = threading.Thread(target=_named("dash-send", _send_one), args=(con, delivery_id),
                                  name=f"send-{delivery_id}", daemon=True)
        _sending[delivery_id] = thread
        thread.start()


def _scenarios(con) -> None:
    """Step scenarios: one tick (dashboard/scenarios/runner.py). It only plans: the step deliveries
    it leaves planned are sent by the sends duty, with the same quiet hours, pacer and resume."""
    from dashboard.scenarios import runner

    report = runner.tick(con)
    if report.deliveries:
        LOG.info("scenarios: %d step deliveries planned (%s)", len(report.deliveries),
                 ", ".join(f"{name} #{step}: {n}" for (name, step), n in sorted(report.planned.items())))
        _sends(con)   # a welcome by reply token has under a minute: start it now, not at the next round


def _backup(con):
    target = backup.backup_dir()
    if target is None:
        return "off"
    if backup.due(target):
        LOG.warning("backup written: %s", backup.make(con, target).name)
    return None


def _checkup(con) -> None:
    """Issue 16: evaluate the check-up's rules and keep the alerts table up to date."""
    from dashboard.checkup import alerts

    alerts.check(con)


DUTIES: dict[str, Duty] = {d.name: d for d in (
    Duty("loader", _load_spool, lambda: float(config.get_int("DASHBOARD_INGEST_INTERVAL_S"))),
    Duty("sends", _sends, lambda: POLL_S),
    Duty("scenarios", _scenarios, lambda: POLL_S),
    Duty("backup", _backup, lambda: BACKUP_CHECK_S),
    Duty("checkup", _checkup, lambda: float(config.get_int("DASHBOARD_ALERT_INTERVAL_S"))),
    # every tenth loader interval: the snapshots are whole tables (a few seconds at 1M friends)
    Duty("warehouse", _warehouse, lambda: 10.0 * config.get_int("DASHBOARD_INGEST_INTERVAL_S")),
)}
_database = Duty("database", lambda con: None, lambda: POLL_S, needs_db=False)


def reset() -> None:
    """Every duty back to 'not run yet' (a new server start; tests)."""
    for duty in [*DUTIES.values(), _database]:
        duty.state, duty.runs, duty.failures, duty.next_at = "waiting", 0, 0, 0.0
        duty.last_success = duty.last_error = duty.last_error_at = duty.next_try = None


def _connection(now: float):
    """The worker's connection, opened when the file exists; a failure to open is the
    'database' duty's error (retried with backoff)."""
    global _con
    with _con_lock:
        if _con is not None or not _database.due(now):
            return _con
        db = config.db_path()
        if not db.exists():
            return None
        try:
            con = storage.connect(db)  # same file, same process: shares the dashboard's instance
            settings_audit.record_changes(con)  # settings are edited outside: note what changed
        except Exception as exc:
            _database.failed(exc, now)
            return None
        _con = con
        _database.run(None, now)
        return _con


def tick(now: float | None = None) -> None:
    """One round: every duty that is due runs once, each guarded on its own."""
    now = time.monotonic() if now is None else now
    con = _connection(now)
    for duty in DUTIES.values():
        if duty.due(now) and (con is not None or not duty.needs_db):
            duty.run(con, now)


def status() -> list[dict]:
    """Each duty's state for the Data page and /healthz (times in UTC; errors one line)."""
    return [d.snapshot() for d in (_database, *DUTIES.values())]


def running() -> bool:
    return _thread is not None and _thread.is_alive()


def _loop() -> None:
    native_name("dash-worker")
    while not _stop.is_set():
        try:
            tick()
        except Exception:  # tick guards each duty; this is the last line of defence
            LOG.exception("worker round failed")
        _stop.wait(POLL_S)


def _preload() -> None:
    """Import the LINE SDK once at start (about 1.8 s of CPU: pydantic builds its models), so that
    the first compose page of the day does not wait for it (issue 18)."""
    native_name("dash-preload")
    try:
        import linebot.v3.audience  # noqa: F401  (what dashboard/line/api.py clients() imports)
        import linebot.v3.insight  # noqa: F401
        import linebot.v3.messaging  # noqa: F401
    except Exception:   # the compose page will say what is wrong
        LOG.debug("LINE SDK preload failed", exc_info=True)


def start() -> None:
    global _thread
    threading.Thread(target=_preload, name="preload", daemon=True).start()
    start_sandbox()
    _stop.clear()
    reset()
    _thread = threading.Thread(target=_loop, name="dashboard-worker", daemon=True)
    _thread.start()


def stop() -> None:
    """End the loop, then checkpoint and close the database: a clean stop leaves no WAL."""
    global _con, _thread
    _stop.set()
    deadline = time.monotonic() + STOP_WAIT_S
    if _thread is not None:
        _thread.join(STOP_WAIT_S)
        _thread = None
    for thread in list(_sending.values()):  # a batch in flight finishes; the rest resumes at the next start
        thread.join(max(0.0, deadline - time.monotonic()))
    with _con_lock:
        con, _con = _con, None
    if con is None:
        return
    try:
        storage.checkpoint(con)
    except Exception as exc:  # e.g. a send still writing: DuckDB replays the WAL at the next start
        LOG.warning("checkpoint on stop failed: %s", one_line(exc))
    finally:
        con.close()
