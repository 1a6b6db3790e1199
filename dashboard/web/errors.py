"""No traceback ever reaches an operator: a page that fails shows one sentence in the page's
language with a short reference, and the log holds the details under the same reference.

navigation.py runs every page inside `guard()`. Streamlit's own control flow (st.stop, st.rerun,
switch_page) raises BaseException subclasses, which pass through untouched.
"""
from __future__ import annotations

import logging
import secrets
from contextlib import contextmanager

LOG = logging.getLogger("dashboard.web.errors")

# Tests set this to True so that AppTest still reports a page's exception as an exception (the
# friendly path has its own test). The product never changes it.
RERAISE = False


def reference() -> str:
    """A short reference an operator can quote; the log line carries the same one."""
    return secrets.token_hex(4)


def report(exc: BaseException, page: str = "") -> str:
    """Log `exc` with its traceback under a new reference and return the reference."""
    ref = reference()
    LOG.error("page %s failed (ref %s): %s", page or "?", ref, type(exc).__name__, exc_info=exc)
    return ref


@contextmanager
def guard(lang: str, page: str = ""):
    """Run a page; on an unexpected error show a sentence with a reference instead of a traceback."""
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - every failure becomes a sentence, none a traceback
        if RERAISE:
            raise
        import streamlit as st

        from dashboard.core.i18n import t

        ref = report(exc, page)
        st.error(t("err.page_failed", lang, ref=ref), icon=":material/error:")
