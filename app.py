"""Entry point: `streamlit run app.py` serves the dashboard.

The navigation script is dashboard/web/navigation.py (see there why it is not this file). The
background worker — the sandbox when no access token is set, resumed and scheduled sends — starts
and stops with the server through st.App's lifespan; on stop it checkpoints and closes the database
(no WAL left behind, so `python -m dashboard restore` can replace the file). GET /healthz
(dashboard/health.py) shows each background duty's state. The local log-in routes (/account/login,
/account/logout) and the middleware that slides the session cookie come from dashboard/access/login_routes.py.
"""
from contextlib import asynccontextmanager

import streamlit as st

from dashboard.access import login_routes
from dashboard import health, worker
from dashboard.core import storage
from dashboard.core.config import ROOT

storage.private_umask()   # the database, its WAL, backups and the spool: 0600/0700 (issue 12)


@asynccontextmanager
async def lifespan(_app):
    worker.start()
    try:
        yield
    finally:
        worker.stop()  # waits for the worker's step, then CHECKPOINT and close


app = st.App(ROOT / "dashboard" / "web" / "navigation.py", lifespan=lifespan,
             routes=login_routes.routes() + health.routes(), middleware=login_routes.middleware())
