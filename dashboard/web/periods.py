"""The period pickers: a named preset (last 7 / 28 / 90 days, this month, last month) or two dates.

Streamlit's range date picker carries its own English presets ("Past Week", "Date range") that no
parameter translates, so a range is asked for as two single-date fields, whose calendar follows the
browser's language and has no English of its own (issue 19, point 9).
"""
from __future__ import annotations

import datetime as dt

import streamlit as st

from dashboard.core.i18n import t
from dashboard.web.context import lang_key

PRESETS = ("7", "28", "90", "month", "last_month", "custom")
DEFAULT_PRESET = "28"   # metrics.DEFAULT_DAYS (a test keeps them equal)


def preset_range(preset: str, last: dt.date) -> tuple[dt.date, dt.date]:
    """The days a preset covers, ending on `last` (the sidebar's default last day: today)."""
    if preset == "month":
        return last.replace(day=1), last
    if preset == "last_month":
        end = last.replace(day=1) - dt.timedelta(days=1)
        return end.replace(day=1), end
    days = int(preset)
    return last - dt.timedelta(days=days - 1), last


def two_dates(default: tuple[dt.date, dt.date], key: str, lang: str, *,
              max_value: dt.date | None = None, persist: bool = False, container=None, side_by_side: bool = True):
    """(first, last) from two single-date fields (side by side, or one under the other where the
    space is narrow, as in the sidebar), or None (with the reason shown) when the end is before the start."""
    box = container or st
    extra = {"persist_state": "session"} if persist else {}
    left, right = box.columns(2) if side_by_side else (box, box)
    first = left.date_input(t("period.from", lang), value=default[0], key=f"{key}_first",
                            max_value=max_value, format="YYYY-MM-DD", **extra)
    last = right.date_input(t("period.to", lang), value=default[1], key=f"{key}_last",
                            max_value=max_value, format="YYYY-MM-DD", **extra)
    if first is None or last is None:
        return None
    if last < first:
        box.error(t("common.invalid_period", lang))
        return None
    return first, last


def sidebar_period(last: dt.date, max_value: dt.date, lang: str):
    """The sidebar's period: a preset, or two dates when "custom" is picked. None when unusable."""
    preset = st.selectbox(t("sidebar.period", lang), PRESETS, index=PRESETS.index(DEFAULT_PRESET),
                          key=lang_key("period_preset", lang), persist_state="session", placeholder=t("common.choose", lang),
                          format_func=lambda p: t(f"period.preset.{p}", lang))
    if preset != "custom":
        first, end = preset_range(preset, last)
        st.caption(f"{first:%Y-%m-%d} – {end:%Y-%m-%d}")
        return first, end
    return two_dates(preset_range(DEFAULT_PRESET, last), "period", lang,
                     max_value=max_value, persist=True, side_by_side=False)
