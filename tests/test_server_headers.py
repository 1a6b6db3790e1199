"""Issue 12 point 6: the real Streamlit server (st.App of app.py) refuses to be framed on every
page, and /_stcore/metrics is closed without log-in."""
from __future__ import annotations

import shutil
import urllib.error
import urllib.request

from tests.test_browser import _start_app, _stop_app


def _get(url: str):
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.headers
    except urllib.error.HTTPError as err:
        return err.code, err.headers


def test_pages_refuse_framing_and_metrics_need_log_in(demo_db, tmp_path):
    db = tmp_path / "headers.duckdb"
    shutil.copy(demo_db, db)
    proc, url = _start_app({"DASHBOARD_DB": str(db), "DASHBOARD_SINGLE_USER": "false"}, tmp_path)
    try:
        for path in ("/", "/segments", "/_stcore/health", "/account/login"):
            status, headers = _get(url + path)
            assert status in (200, 503), (path, status)
            assert headers["X-Frame-Options"] in ("DENY", "SAMEORIGIN"), path   # log-in form: DENY
            assert ("frame-ancestors 'self'" in headers["Content-Security-Policy"]
                    or "frame-ancestors 'none'" in headers["Content-Security-Policy"]), path
        assert _get(url + "/_stcore/metrics")[0] == 403
    finally:
        _stop_app(proc)
