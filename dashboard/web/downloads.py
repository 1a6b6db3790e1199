"""CSV downloads: formulas neutralised (core/csv_safe.py), and none for roles without `export`."""
from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from dashboard.core import csv_safe
from dashboard.core.i18n import t
from dashboard.web.context import allowed, cursor, lang


def csv_download(frame: pd.DataFrame, name: str, key: str) -> None:
    if not allowed("export"):  # viewers: no downloads (they would carry user IDs)
        return
    data = csv_safe.to_csv(frame).encode("utf-8-sig")  # formulas neutralised; BOM: Excel opens Japanese correctly
    st.download_button(t("common.csv", lang()), data=data, file_name=f"{name}.csv",
                       mime="text/csv", key=key)


def members_csv(db: str, rule_text: str) -> bytes:
    """The members' LINE user IDs as CSV (column user_id), on its own cursor: it runs on click."""
    from dashboard.audience import running

    cur = cursor(db)
    try:
        return csv_safe.to_csv(running.members(cur, json.loads(rule_text))).encode("utf-8")
    finally:
        cur.close()
