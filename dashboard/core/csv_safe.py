"""Every CSV the product writes goes through here: cells a spreadsheet would run as a formula are
neutralised (issue 12 point 3, OWASP "CSV injection").

A text cell starting with = + - @ tab or carriage return gets a leading apostrophe, so Excel and
LibreOffice show it as text instead of evaluating `=HYPERLINK(…)` from a display name or a failed
log-in name. Only text is touched: a numeric column keeps its negative numbers as numbers. Column
names are text too (segment names become headers) and are treated the same way.
"""
from __future__ import annotations

import pandas as pd

DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r")


def cell(value):
    """The value, with a leading apostrophe when it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(DANGEROUS_FIRST):
        return "'" + value
    return value


def neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text cell (and column name) made safe; numeric columns untouched."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_numeric_dtype(out[column]) or pd.api.types.is_datetime64_any_dtype(out[column]):
            continue
        out[column] = out[column].map(cell, na_action="ignore")
    out.columns = [cell(c) if isinstance(c, str) else c for c in out.columns]
    return out


def to_csv(frame: pd.DataFrame, path_or_buffer=None, *, encoding: str = "utf-8"):
    """frame.to_csv(index=False) after neutralising: text when no path is given, like pandas."""
    return neutralised(frame).to_csv(path_or_buffer, index=False, encoding=encoding)
