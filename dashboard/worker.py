"""The dashboard process's background work, started with the server (st.App lifespan in app.py):
the sandbox when no access token is configured, and a loop that loads the webhook spool every
few seconds (DASHBOARD_INGEST_INTERVAL_S), resumes interrupted sends and starts scheduled ones. It runs in the process that owns the DuckDB file (DESIGN §4).
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import urllib.request

from dashboard import backup, config, ingest, line_api, sending, settings_audit, storage

LOG = logging.getLogger("dashboard.worker")
POLL_S = 1.0
_stop = threading.Event()


def _sandbox_answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/sandbox/health", timeout=1) as r:
            return r.status == 200
    except OSError:
        return False


def start_sandbox() -> str | None:
    """Serve the sandbox on loopback in this process, unless one already answers on its port."""
    if not config.is_sandbox() or config.is_set("LINE_API_BASE_URL"):
        return None
    url = line_api.sandbox_url()
    if _sandbox_answers(url):
        return url
    import uvicorn

    from dashboard import sandbox

    state = sandbox.State(config.db_path().parent / "sandbox")
    server = uvicorn.Server(uvicorn.Config(sandbox.build_app(state), host="127.0.0.1",
                                           port=config.get_int("DASHBOARD_SANDBOX_PORT"),
                                           log_level="warning", access_log=False))
    server.install_signal_handlers = lambda: None  # the dashboard's server owns the signals
    threading.Thread(target=server.run, name="sandbox", daemon=True).start()
    for _ in range(50):
        if _sandbox_answers(url):
            break
        time.sleep(0.1)
    LOG.warning("sandbox LINE API on %s: nothing leaves this machine", url)
    return url


def _load_spool(con) -> None:
    try:
        result = ingest.load_all(con)
        if result.lines:
            LOG.info("loaded %d spool lines: %d events, %d duplicates, %d quarantined",
                     result.lines, result.loaded, result.duplicates, result.quarantined)
    except Exception:  # a failed round changed nothing (one transaction); the next one retries
        LOG.exception("loader round failed")


def _loop() -> None:
    con = None
    last_load = 0.0
    while not _stop.is_set():
        try:
            db = config.db_path()
            if con is None and db.exists():
                con = storage.connect(db)  # same file, same process: shares the dashboard's instance
                settings_audit.record_changes(con)  # settings are edited outside: note what changed
            if con is not None and time.monotonic() - last_load >= config.get_int("DASHBOARD_INGEST_INTERVAL_S"):
                last_load = time.monotonic()
                _load_spool(con)
            target = backup.backup_dir()
            if con is not None and target is not None and backup.due(target):
                LOG.warning("backup written: %s", backup.make(con, target))
            from dashboard import compose

            if con is not None and not compose.in_quiet_hours(dt.datetime.now(dt.timezone.utc)):
                # nothing starts or resumes in quiet hours: it waits for the morning
                cur = con.cursor()
                try:
                    due = sending.resumable(cur)
                finally:
                    cur.close()
                for delivery_id in due:
                    sending.start_in_background(con, delivery_id)
        except Exception:  # the loop must survive anything; the next round retries
            LOG.exception("worker round failed")
        _stop.wait(POLL_S)


def start() -> None:
    start_sandbox()
    _stop.clear()
    threading.Thread(target=_loop, name="dashboard-worker", daemon=True).start()


def stop() -> None:
    _stop.set()
