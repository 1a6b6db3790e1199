"""Figures built once per data, shared by every session (issue 18).

Building a Plotly figure validates every property against Plotly's schema (about 20 ms for a bar
chart, 60 ms for the busier ones); the page's questions are already cached, so without this each
rerun of each session paid that again for the same figure. `chart(charts.adds_blocks, frame, lang,
key=...)` draws `charts.adds_blocks(frame, lang)`, built the first time these arguments are seen
(the frame by its content: pandas' row hashes, its columns and dtypes) and reused afterwards.

A cached figure is shared: it must not be changed after it is built. st.plotly_chart only reads it
(Figure.to_dict copies it), and the chart functions in charts.py are pure.
"""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

import pandas as pd
import streamlit as st

MAX_FIGURES = 256
_figures: OrderedDict = OrderedDict()
_lock = threading.Lock()


class _Unhashable(Exception):
    pass


def _feed(h, value) -> None:
    if isinstance(value, pd.DataFrame):
        h.update(b"frame")
        h.update(repr((list(value.columns), [str(d) for d in value.dtypes], value.shape)).encode())
        h.update(pd.util.hash_pandas_object(value, index=True).values.tobytes())
    elif isinstance(value, pd.Series):
        h.update(b"series")
        h.update(repr((value.name, str(value.dtype), list(value.index))).encode())
        h.update(pd.util.hash_pandas_object(value.astype(str), index=False).values.tobytes())
    elif isinstance(value, dict):
        h.update(b"dict%d" % len(value))
        for k in sorted(value, key=repr):
            _feed(h, k)
            _feed(h, value[k])
    elif isinstance(value, (list, tuple)):
        h.update(b"seq%d" % len(value))
        for v in value:
            _feed(h, v)
    elif value is None or isinstance(value, (str, int, float, bool)):
        h.update(repr((type(value).__name__, value)).encode())
    else:
        raise _Unhashable(type(value).__name__)


def digest(*args, **kwargs) -> str | None:
    """A digest of the arguments by content, or None when one of them is not a kind known here."""
    h = hashlib.blake2b(digest_size=16)
    try:
        _feed(h, list(args))
        _feed(h, kwargs)
    except _Unhashable:
        return None
    return h.hexdigest()


def figure(fn, *args, **kwargs):
    """`fn(*args, **kwargs)`, built once for the same arguments and function (LRU of MAX_FIGURES)."""
    key = digest(*args, **kwargs)
    if key is None:
        return fn(*args, **kwargs)
    key = (fn.__module__, fn.__qualname__, key)
    with _lock:
        found = _figures.get(key)
        if found is not None:
            _figures.move_to_end(key)
            return found
    built = fn(*args, **kwargs)   # outside the lock: two sessions may build the same one once each
    with _lock:
        _figures[key] = built
        while len(_figures) > MAX_FIGURES:
            _figures.popitem(last=False)
    return built


def chart(fn, *args, key: str, **kwargs) -> None:
    """Draw `fn(*args, **kwargs)` (a figure function of charts.py) with st.plotly_chart."""
    st.plotly_chart(figure(fn, *args, **kwargs), key=key)
