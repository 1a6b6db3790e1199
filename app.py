"""Entry point: `streamlit run app.py` serves the dashboard.

The navigation script is dashboard/navigation.py (see there why it is not this file). The
background worker — the sandbox when no access token is set, resumed and scheduled sends — starts
and stops with the server through st.App's lifespan; on stop it checkpoints and closes the database
(no WAL left behind, so `python -m dashboard restore` can replace the file). GET /healthz
(dashboard/health.py) shows each background duty's state. The local log-in routes (/account/login,
/account/logout) and the middleware that slides the session cookie come from dashboard/auth_routes.py.
"""
from contextlib import asynccontextmanager

import streamlit as st

from dashboard import auth_routes, health, storage, worker
from dashboard.config import ROOT

storage.private_umask()   # the database, its WAL, backups and the spool: 0600/0700 (issue 12)


@asynccontextmanager
async def lifespan(_app):
    worker.start()
    try:
        yield
    finally:
        worker.stop()  # waits for the worker's step, then CHECKPOINT and close


app = st.App(ROOT / "dashboard" / "navigation.py", lifespan=lifespan,
             routes=auth_routes.routes() + health.routes(), middleware=auth_routes.middleware())
