"""Page widgets shared by the pages: KPI and quota cards, definitions, the look-back radio, a
multiselect's own texts, a refusal.
"""
from __future__ import annotations

import datetime as dt

import streamlit as st

from dashboard.analytics import metrics
from dashboard.core.i18n import t
from dashboard.web.context import Filters, lang


def with_period(f: Filters, first: dt.date, last: dt.date) -> Filters:
    return Filters(metrics.Period(first, last, f.period.tz), f.routes, f.lang, f.db)


def lookback(f: Filters, key: str, label_key: str, options=(26, 13, 0)) -> Filters:
    """A radio for questions that need more history than a 4-week period shows (trends, 30-day
    rates, 12-week cohorts): N weeks up to the period's end, or the selected period (0)."""
    current = lang()  # fixed now: a format_func may be called after the script run
    weeks = st.radio(t(label_key, current), options=list(options), key=key, horizontal=True,
                     format_func=lambda w: t("common.lookback.period", current) if w == 0
                     else t("common.lookback.weeks", current, weeks=w))
    chosen = f if weeks == 0 else with_period(f, f.period.last - dt.timedelta(days=7 * weeks - 1), f.period.last)
    st.caption(f"{chosen.period.first} – {chosen.period.last}")
    return chosen


def multi(lang: str) -> dict:
    """A multiselect's own texts in our language: our placeholder instead of "Choose options", and
    no "Select all" (Streamlit's English, which no parameter translates)."""
    return {"placeholder": t("common.choose", lang), "select_all": False}


def definition(text: str) -> None:
    st.caption(f"**{t('common.definition', lang())}:** {text}")


def refuse(exc: Exception) -> None:
    st.error(str(exc), icon=":material/block:")


# KPIs where a rise is bad news: their change is drawn red when it goes up.
_BAD_WHEN_UP = {"blocks", "block_rate"}
# KPIs whose rise is neither good nor bad (more messages sent is a cost, not a success): grey.
_NEUTRAL = {"messages_sent_month"}


def kpi(key: str, item: dict, active_days: int = 30) -> None:
    """A KPI card: value, change vs the previous period, and its definition in words."""
    from dashboard.analytics.report import fmt_change, fmt_value

    current = lang()
    change = item["change"]
    st.metric(t(f"kpi.{key}", current, days=active_days) if key == "active_friends" else t(f"kpi.{key}", current),
              fmt_value(key, item["value"]),
              delta=None if change is None else fmt_change(key, change) + " " + t("common.vs_prev", current),
              delta_color="off" if key in _NEUTRAL else "inverse" if key in _BAD_WHEN_UP else "normal", border=True)
    st.caption(t(f"kpi.{key}.def", current, days=active_days) if key == "active_friends" else t(f"kpi.{key}.def", current))


def quota_cards(q: dict) -> None:
    """The Overview's quota block: messages left this month, and the overage at the current pace."""
    current = lang()
    left, cost = st.columns(2)
    with left:
        st.metric(t("kpi.quota_left", current),
                  t("kpi.quota_left.none", current) if q["left"] is None else f"{q['left']:,}", border=True)
        st.caption(t("kpi.quota_left.def", current, used=f"{q['used']:,}", tests=f"{q['used_by_tests']:,}",
                     limit="—" if q["limit"] is None else f"{q['limit']:,}"))
    with cost:
        st.metric(t("kpi.quota_forecast", current), f"¥{q['forecast_yen']:,.0f}", border=True)
        st.caption(t("kpi.quota_forecast.def", current, forecast=f"{q['forecast']:,}", free=f"{q['free']:,}",
                     plan=t(f"code.plan.{q['plan']}", current)))
        if q["limit_reached_forecast"]:
            st.warning(t("kpi.quota_forecast.limit", current), icon=":material/warning:")


# Streamlit draws the file uploader's button ("Upload") and its limit line ("200MB per file • CSV") in
# English, with no parameter to change them: their text is hidden and ours drawn in its place.
_UPLOADER_CSS = """<style>
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p {{ font-size: 0 !important; }}
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p::after {{
  content: "{button}"; font-size: 0.875rem; }}
[data-testid="stFileUploaderDropzoneInstructions"] span {{ font-size: 0 !important; }}
[data-testid="stFileUploaderDropzoneInstructions"] span::after {{ content: "{limit}"; font-size: 0.875rem; }}
</style>"""


def file_uploader(label: str, types: list[str], key: str, lang: str, max_mb: int = 200):
    """st.file_uploader with its own texts in our language."""
    css = _UPLOADER_CSS.format(button=t("common.upload", lang).replace('"', ""),
                               limit=t("common.upload_limit", lang, mb=max_mb,
                                       types="・".join(x.upper() for x in types)).replace('"', ""))
    st.html(css)
    return st.file_uploader(label, type=types, key=key, max_upload_size=max_mb)
