"""When to send: the weekday × hour heatmap of reaction rate per message received (the number of
deliveries in each cell), the table behind it, and the best windows with their evidence — on its
page and on the compose page for the chosen audience."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard.analytics import send_time
from dashboard.core.i18n import t
from dashboard.web.charts import _layout


def _pct(x: float) -> str:
    return "—" if pd.isna(x) else f"{x * 100:.1f}%"


def heatmap(frame: pd.DataFrame, lang: str) -> go.Figure:
    """Every weekday × every hour (empty where nothing was sent); colour = rate, text = deliveries."""
    z = [[None] * 24 for _ in range(7)]
    text = [[""] * 24 for _ in range(7)]
    hover = [[""] * 24 for _ in range(7)]
    for row in frame.itertuples():
        z[row.weekday][row.hour] = None if pd.isna(row.rate) else row.rate * 100
        text[row.weekday][row.hour] = f"{row.deliveries}"
        hover[row.weekday][row.hour] = (f"{_pct(row.rate)} · {t('fr.stp.deliveries', lang)} {row.deliveries:,} · "
                                        f"{t('fr.stp.recipients', lang)} {row.recipients:,}")
    fig = go.Figure(go.Heatmap(
        z=z, x=[str(h) for h in range(24)], y=[t(f"fr.day.{d}", lang) for d in range(7)], text=text,
        customdata=hover, texttemplate="%{text}", colorscale=[[0, "#F1FBF4"], [1, "#04843A"]], xgap=1, ygap=1,
        colorbar=dict(title=t("fr.stp.rate", lang), ticksuffix="%"),
        hovertemplate="%{y} %{x}:00 — %{customdata}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", title=t("fr.stp.weekday", lang))
    fig.update_xaxes(title=t("fr.stp.hour", lang), dtick=1)
    fig.update_layout(title=t("fr.stp.chart", lang))
    return _layout(fig, height=360, hovermode="closest", margin=dict(l=10, r=10, t=50, b=10))


def table(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    return pd.DataFrame({
        t("fr.stp.weekday", lang): [t(f"fr.day.{d}", lang) for d in frame["weekday"]],
        t("fr.stp.hour", lang): frame["hour"], t("fr.stp.deliveries", lang): frame["deliveries"],
        t("fr.stp.recipients", lang): frame["recipients"], t("fr.stp.reactors", lang): frame["reactors"],
        t("fr.stp.rate_pct", lang): (frame["rate"] * 100).round(2), t("fr.stp.low", lang): (frame["low"] * 100).round(2),
        t("fr.stp.high", lang): (frame["high"] * 100).round(2)})


def best(frame: pd.DataFrame, lang: str) -> None:
    """The best windows in words, or "not enough data" when that is the truth."""
    st.markdown(f"**{t('fr.stp.best', lang)}**")
    windows = send_time.best_windows(frame)
    if windows.empty:
        st.info(t("fr.stp.not_enough", lang, d=send_time.MIN_DELIVERIES, n=f"{send_time.MIN_RECIPIENTS:,}"))
    for row in windows.itertuples():
        st.markdown("- " + t("fr.stp.best.row", lang, day=t(f"fr.day.{row.weekday}", lang), hour=row.hour,
                             rate=_pct(row.rate), low=_pct(row.low), high=_pct(row.high), d=row.deliveries,
                             n=f"{row.recipients:,}"))
    st.caption(t("fr.stp.best.def", lang, d=send_time.MIN_DELIVERIES, n=f"{send_time.MIN_RECIPIENTS:,}"))


def compose_panel(f, rule: dict | None, lang: str) -> None:
    """The compose page's "best windows" for the chosen audience (None = all friends)."""
    from dashboard.audience import rules
    from dashboard.web.questions import ask

    with st.expander(t("fr.stp.best", lang), expanded=True):
        try:
            frame = ask(f, send_time.grid, rule=rule)
        except rules.RuleError as exc:   # a rule still being built: the plan below says why
            st.caption(exc.text(lang))
            return
        best(frame, lang)
