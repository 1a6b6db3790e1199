"""GET /healthz on the dashboard's own server (mounted on st.App in app.py): is the background
worker running, and how is each of its duties doing. For a monitor on the internal network: no
secrets, no paths (worker.one_line), no data. 200 when every duty works; 503 when the worker is
not running or a duty is failing, so a check that only looks at the status code still notices a
backup folder nobody can write to.
"""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from dashboard import worker

PATH = "/healthz"


def report() -> tuple[bool, dict]:
    duties = {}
    for row in worker.status():
        duties[row["duty"]] = {k: (v.isoformat(timespec="seconds") if hasattr(v, "isoformat") else v)
                               for k, v in row.items() if k != "duty"}
    running = worker.running()
    ok = running and all(d["state"] != "failing" for d in duties.values())
    return ok, {"ok": ok, "worker_running": running, "duties": duties}


async def healthz(_request: Request) -> JSONResponse:
    ok, body = report()
    return JSONResponse(body, status_code=200 if ok else 503, headers={"Cache-Control": "no-store"})


def routes() -> list[Route]:
    return [Route(PATH, healthz, methods=["GET"])]
