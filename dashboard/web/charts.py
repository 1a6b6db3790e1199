"""Plotly figures for the pages: pure functions from a frame to a figure, easy to test.

Colours are few and fixed (LINE green for friends, red for blocks); every axis has a title and
percentages are shown as percentages.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.core.i18n import route_label, t

GREEN = "#06C755"   # LINE's green
RED = "#E5484D"
GREY = "#8B8D98"
BLUE = "#3E63DD"
PALETTE = ["#06C755", "#3E63DD", "#F76B15", "#8E4EC6", "#E5484D", "#12A594", "#FFC53D", "#8B8D98"]
FONT = "Noto Sans CJK JP, Hiragino Sans, Meiryo, sans-serif"


def _layout(fig: go.Figure, height: int = 380, **kw) -> go.Figure:
    settings = dict(template="plotly_white", height=height, font=dict(family=FONT, size=13),
                    margin=dict(l=10, r=10, t=30, b=10), hovermode="x unified",
                    legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0))
    fig.update_layout(**{**settings, **kw})
    if _dates_on_x(fig):
        # Numbers, not Plotly's English month names ("Nov 7"): the same in Japanese and English.
        fig.update_xaxes(hoverformat="%Y-%m-%d %H:%M", tickformatstops=[
            dict(dtickrange=[None, 86_400_000], value="%m-%d %H:%M"),
            dict(dtickrange=[86_400_000, "M1"], value="%m-%d\n%Y"),
            dict(dtickrange=["M1", None], value="%Y-%m")])
    return fig


def _dates_on_x(fig: go.Figure) -> bool:
    """Every trace with x values has dates there."""
    import numpy as np

    xs = [tr.x for tr in fig.data if getattr(tr, "x", None) is not None and len(tr.x)]
    return bool(xs) and all(np.issubdtype(np.asarray(x).dtype, np.datetime64)
                            or isinstance(x[0], (pd.Timestamp, dt.date)) for x in xs)


def adds_blocks(frame: pd.DataFrame, lang: str) -> go.Figure:
    fig = go.Figure()
    fig.add_bar(x=frame["day"], y=frame["adds"], name=t("acq.adds", lang), marker_color=GREEN)
    fig.add_bar(x=frame["day"], y=frame["blocks"], name=t("acq.blocks", lang), marker_color=RED)
    fig.update_layout(barmode="group", xaxis_title=t("common.day", lang), yaxis_title=t("acq.adds", lang))
    return _layout(fig)


def weekday_hour(frame: pd.DataFrame, lang: str) -> go.Figure:
    grid = frame.pivot(index="weekday", columns="hour", values="adds").sort_index()
    fig = go.Figure(go.Heatmap(
        z=grid.values, x=[f"{h}" for h in grid.columns],
        y=[t(f"weekday.{d}", lang) for d in grid.index],
        colorscale=[[0, "#F1FBF4"], [1, "#04843A"]], colorbar=dict(title=t("acq.adds", lang)),
        hovertemplate="%{y} %{x}:00 — %{z:,}<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title=t("common.hour", lang), dtick=1)
    return _layout(fig, height=330, hovermode="closest")


def route_quality(frame: pd.DataFrame, names: dict, lang: str) -> go.Figure:
    labels = [route_label(r, names, lang) for r in frame["route"]]
    fig = go.Figure()
    for col, color in (("block_rate_7d", "#F5A3A5"), ("block_rate_30d", RED), ("reaction_rate_30d", BLUE),
                       ("conversion_rate_30d", GREEN)):
        fig.add_bar(x=labels, y=frame[col], name=t(f"acq.{col}", lang), marker_color=color,
                    text=[f"{v:.1%}" if pd.notna(v) else "" for v in frame[col]], textposition="outside")
    fig.update_layout(barmode="group", yaxis_tickformat=".0%", yaxis_rangemode="tozero")
    return _layout(fig, hovermode="closest")


def funnel(row: pd.Series, lang: str) -> go.Figure:
    steps = ["visits", "adds", "reacted", "converted"]
    fig = go.Figure(go.Funnel(
        y=[t(f"funnel.{s}", lang) for s in steps], x=[int(row[s]) for s in steps],
        textinfo="value+percent previous", marker=dict(color=[GREY, GREEN, BLUE, "#F76B15"])))
    return _layout(fig, height=340, hovermode="closest")


def funnel_by_route(frame: pd.DataFrame, names: dict, lang: str) -> go.Figure:
    labels = [route_label(r, names, lang) for r in frame["route"]]
    fig = go.Figure()
    for col, color in (("add_rate", GREY), ("reaction_rate", BLUE), ("conversion_rate", "#F76B15")):
        fig.add_bar(x=labels, y=frame[col], name=t(f"funnel.{col}", lang), marker_color=color,
                    text=[f"{v:.1%}" if pd.notna(v) else "" for v in frame[col]], textposition="outside")
    fig.update_layout(barmode="group", yaxis_tickformat=".0%", yaxis_title=t("funnel.step_rate", lang))
    return _layout(fig, hovermode="closest")


def retention_grid(frame: pd.DataFrame, lang: str) -> go.Figure:
    grid = frame.pivot(index="add_week", columns="week", values="retention").sort_index()
    sizes = frame.groupby("add_week")["size"].first().reindex(grid.index)
    ylabels = [f"{d:%Y-%m-%d} ({int(n):,})" for d, n in zip(grid.index, sizes)]  # a count, never "1,118.0"
    text = [[("" if pd.isna(v) else f"{v:.0%}") for v in row] for row in grid.values]
    fig = go.Figure(go.Heatmap(
        z=grid.values, x=[f"{w}" for w in grid.columns], y=ylabels, text=text,
        texttemplate="%{text}", zmin=0.5, zmax=1.0,
        colorscale=[[0, "#FDECEC"], [0.5, "#FFF6D6"], [1, "#3CB371"]],
        colorbar=dict(title="%", tickformat=".0%"),
        hovertemplate="%{y} · %{x} " + t("cohorts.week", lang) + ": %{z:.1%}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", title=t("cohorts.add_week", lang))
    fig.update_xaxes(title=t("cohorts.week", lang), dtick=1)
    return _layout(fig, height=max(320, 26 * len(grid) + 80), hovermode="closest")


def retention_curve(frame: pd.DataFrame, lang: str) -> go.Figure:
    done = frame.dropna(subset=["retention"])
    avg = (done.assign(kept=done["retention"] * done["size"]).groupby("week")[["kept", "size"]].sum())
    fig = go.Figure(go.Scatter(x=avg.index, y=avg["kept"] / avg["size"], mode="lines+markers",
                               line=dict(color=GREEN, width=3), name=t("cohorts.avg", lang)))
    fig.update_layout(yaxis_tickformat=".0%", xaxis_title=t("cohorts.week", lang), xaxis_dtick=1)
    return _layout(fig, height=300)


def taps_by_week(frame: pd.DataFrame, lang: str) -> go.Figure:
    data = frame.assign(week=pd.to_datetime(frame["day"]).dt.to_period("W-SUN").dt.start_time)
    weekly = data.groupby(["week", "area"], as_index=False)["taps"].sum()
    fig = go.Figure()
    order = weekly.groupby("area")["taps"].sum().sort_values(ascending=False).index
    for i, area in enumerate(order):
        part = weekly[weekly["area"] == area]
        fig.add_bar(x=part["week"], y=part["taps"], name=area, marker_color=PALETTE[i % len(PALETTE)])
    fig.update_layout(barmode="stack", yaxis_title=t("eng.taps_n", lang), xaxis_title=t("common.day", lang))
    return _layout(fig)


def survey(frame: pd.DataFrame, lang: str) -> go.Figure:
    data = frame.sort_values("respondents")
    fig = go.Figure(go.Bar(x=data["respondents"], y=data["answer"], orientation="h", marker_color=BLUE,
                           text=[f"{n:,} ({s:.0%})" for n, s in zip(data["respondents"], data["share"])],
                           textposition="auto"))
    fig.update_layout(xaxis_title=t("eng.respondents", lang))
    return _layout(fig, height=300, hovermode="closest")


def reactions_per_delivery(frame: pd.DataFrame, lang: str) -> go.Figure:
    """Each delivery's reaction rate (dots by kind) with deliveries per week behind it."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    weeks = (frame.assign(week=pd.to_datetime(frame["sent_at"]).dt.tz_localize(None)
                          .dt.to_period("W-SUN").dt.start_time)
             .groupby("week").size())
    # The weekly bars go on the primary axis and the rates on the overlaying secondary one: Plotly
    # draws the overlaying axis's traces on top, so the bars never hide the lines (issue 19.12).
    fig.add_bar(x=weeks.index, y=weeks.values, name=t("eng.sends_per_week", lang),
                marker_color="#E8E8EC", secondary_y=False)
    for promo, color, key in ((True, RED, "eng.promotion"), (False, GREEN, "eng.other")):
        part = frame[frame["is_promotion"] == promo]
        fig.add_scatter(x=part["sent_at"], y=part["reaction_rate"], mode="markers+lines",
                        name=t(key, lang), marker=dict(color=color, size=8), line=dict(color=color, width=1),
                        text=part["title"], hovertemplate="%{text}: %{y:.1%}<extra></extra>", secondary_y=True)
    fig.update_yaxes(title_text=t("eng.reaction_rate", lang), tickformat=".0%", secondary_y=True, rangemode="tozero",
                     side="left", showgrid=True)
    fig.update_yaxes(title_text=t("eng.sends_per_week", lang), secondary_y=False, showgrid=False, rangemode="tozero",
                     dtick=1, tickformat="d", side="right")  # whole deliveries, not 2.359
    return _layout(fig, hovermode="closest")


def delivery_outcomes(frame: pd.DataFrame, lang: str) -> go.Figure:
    data = frame.sort_values("sent_at")
    rate = data["unique_impressions"] / data["recipients"].where(data["recipients"] > 0)
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_scatter(x=data["sent_at"], y=rate, mode="lines+markers", name=t("dlv.open_rate", lang),
                    line=dict(color=BLUE), secondary_y=False)
    fig.add_bar(x=data["sent_at"], y=data["blocks_24h"], name=t("dlv.blocks_24h", lang),
                marker_color=RED, opacity=0.6, secondary_y=True)
    fig.update_yaxes(title_text=t("dlv.open_rate", lang), tickformat=".0%", secondary_y=False, rangemode="tozero")
    fig.update_yaxes(title_text=t("dlv.blocks_24h", lang), secondary_y=True, showgrid=False, rangemode="tozero",
                     tickformat=",d")
    return _layout(fig, hovermode="closest")


LEVEL_COLORS = {"hot": "#E5484D", "warm": "#F76B15", "cold": "#3E63DD", "dormant": "#8B8D98"}
LEVELS = ("hot", "warm", "cold", "dormant")


def segment_breakdown(frame: pd.DataFrame, names: dict, lang: str) -> go.Figure:
    fig = go.Figure()
    for level in LEVELS:
        part = frame[frame["interest_level"] == level]
        fig.add_bar(y=[route_label(r, names, lang) for r in part["route"]], x=part["friends"], orientation="h",
                    name=t(f"seg.level.{level}", lang), marker_color=LEVEL_COLORS[level])
    fig.update_layout(barmode="stack", xaxis_title=t("seg.friends", lang))
    return _layout(fig, height=300, hovermode="closest")


def interest_genre(frame: pd.DataFrame, lang: str) -> go.Figure:
    grid = (frame.pivot(index="interest_level", columns="genre", values="friends").fillna(0)
            .reindex([lv for lv in LEVELS if lv in set(frame["interest_level"])]))
    cols = [c for c in grid.columns if c != "none"] + (["none"] if "none" in grid.columns else [])
    grid = grid[cols]
    xlabels = [t("seg.genre.none", lang) if c == "none" else c for c in cols]
    fig = go.Figure(go.Heatmap(
        z=grid.values, x=xlabels, y=[t(f"seg.level.{lv}", lang) for lv in grid.index],
        text=[[f"{int(v):,}" for v in row] for row in grid.values], texttemplate="%{text}",
        colorscale=[[0, "#F1FBF4"], [1, "#04843A"]], colorbar=dict(title=t("seg.friends", lang)),
        hovertemplate="%{y} × %{x}: %{z:,}<extra></extra>"))
    fig.update_xaxes(title=t("seg.genre", lang))
    fig.update_yaxes(title=t("seg.interest", lang))
    return _layout(fig, height=320, hovermode="closest")


def overlap(frame: pd.DataFrame, lang: str) -> go.Figure:
    data = frame.sort_values("friends")
    fig = go.Figure(go.Bar(x=data["friends"], y=data["region"], orientation="h", marker_color=BLUE,
                           text=[f"{n:,}" for n in data["friends"]], textposition="auto"))
    fig.update_layout(xaxis_title=t("seg.friends", lang))
    return _layout(fig, height=max(240, 40 * len(data) + 80), hovermode="closest")


def segment_sizes(frame: pd.DataFrame, names: dict, lang: str) -> go.Figure:
    fig = go.Figure()
    for i, (segment_id, part) in enumerate(frame.groupby("segment_id")):
        fig.add_scatter(x=part["day"], y=part["size"], mode="lines+markers", name=names.get(segment_id, segment_id),
                        line=dict(color=PALETTE[i % len(PALETTE)], width=2))
    fig.update_layout(yaxis_title=t("seg.friends", lang), xaxis_title=t("common.day", lang), yaxis_rangemode="tozero")
    return _layout(fig, height=320)
