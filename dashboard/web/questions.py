"""Cached page questions: a page names the function it asks (`ask(f, metrics.overview_kpis)`), and
the answer is cached per database, period, routes and data version.
"""
from __future__ import annotations

import datetime as dt
import json

import streamlit as st

from dashboard.analytics import metrics
from dashboard.web.context import CACHE_TTL_S, VERSIONED_TTL_S, Filters, cursor, data_version


def _name(fn) -> str:
    # the cache key's part for the function (its own object is not hashed: leading underscore)
    return f"{fn.__module__}.{fn.__qualname__}"


@st.cache_data(ttl=VERSIONED_TTL_S, show_spinner=False, max_entries=512)
def question(db: str, _fn, name: str, first: dt.date, last: dt.date, tz: str,
             routes: tuple[str, ...], version: str = "", **kwargs):
    """`_fn(cur, period, routes, **kwargs)` (a dashboard.analytics function), cached under `name`."""
    period = metrics.Period(first, last, tz)
    cur = cursor(db)
    try:
        return _fn(cur, period, list(routes), **kwargs)
    finally:
        cur.close()


def ask(f: Filters, fn, **kwargs):
    """The answer of `fn` (e.g. metrics.deliveries) for the page's filters."""
    return question(f.db, fn, _name(fn), f.period.first, f.period.last, f.period.tz, f.routes,
                    data_version(f.db), **kwargs)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False, max_entries=256)
def _audience(db: str, _fn, name: str, rule_text: str | None, as_of, **kwargs):
    cur = cursor(db)
    try:
        if rule_text is None:
            return _fn(cur, **kwargs)
        return _fn(cur, json.loads(rule_text), **kwargs)
    finally:
        cur.close()


def audience_question(db: str, fn, rule_text: str | None, as_of, **kwargs):
    """`fn` of dashboard.audience.running (e.g. running.count) for a rule (JSON text), cached per
    database, rule and as_of."""
    return _audience(db, fn, _name(fn), rule_text, as_of, **kwargs)


def segment_as_of(f: Filters):
    from dashboard.audience import running

    cur = cursor(f.db)
    try:
        return running.as_of(cur)
    finally:
        cur.close()


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def builder_options(db: str) -> dict:
    """The rule builder's pickers (tags, areas, categories …): cached, one of them scans events."""
    from dashboard.audience import running

    cur = cursor(db)
    try:
        return running.options(cur)
    finally:
        cur.close()


@st.cache_resource(show_spinner=False)
def _line_clients(url: str, token_fingerprint: str):
    from dashboard.line import api

    return api.clients(url)


def line_clients():
    """LINE clients for this process, made once per base URL and token (not once per rerun: each
    holds a connection pool). Raises LineError when the settings must not be used (see line_api)."""
    import hashlib

    from dashboard.line import api

    url = api.base_url()
    return _line_clients(url, hashlib.sha256(api.token().encode()).hexdigest())
