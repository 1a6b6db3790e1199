"""When to send (issue 15 point 4): reaction rate per message received, by weekday × hour of the
send in the account's time zone, for everyone or one audience, with the number of deliveries
behind each cell; and the best windows with that evidence — or "not enough data" when that is
the truth. The page, the compose page and the tests call these functions.

rate = recipients who reacted within 2 hours of the delivery (a per-user reaction attributed to it)
÷ recipients. Reactions come from rollup_delivery_reactors (each friend's first reaction within 24
hours of a delivery), so neither grid scans the events (README "Performance"). Windows are ranked by the lower end of the 95 % Wilson interval, so a cell of three
lucky recipients does not beat a cell of thousands.
"""
from __future__ import annotations

import pandas as pd

from dashboard.analytics.crosstab import wilson
from dashboard.analytics.metrics import Period
from dashboard.audience import running
from dashboard.core import queries

queries.require("send_time/grid_all", "send_time/grid_audience")

MIN_DELIVERIES = 2      # a window needs at least this many deliveries behind it
MIN_RECIPIENTS = 100    # … and this many messages received
BEST = 3


def grid(cur, period: Period, routes=None, *, rule: dict | None = None) -> pd.DataFrame:
    """One row per (weekday 0 = Monday, hour) with a delivery: deliveries, recipients, reactors, rate,
    low, high (Wilson 95 %). `rule` narrows to an audience (its members as of now, sent to in the
    period); without one the sidebar's routes, if any, are the audience."""
    if rule is None and routes:
        rule = {"version": 1, "rule": {"field": "route", "in": list(routes)}}
    if rule is None:
        frame = queries.run(cur, "send_time/grid_all", **period.params())
    else:
        running.materialise(cur, rule, running.MEMBERS_TABLE)   # where the grid is read (DASHBOARD_ENGINE)
        frame = queries.run(cur, "send_time/grid_audience", **period.params())
    frame = frame.astype({"weekday": int, "hour": int, "deliveries": int, "recipients": int, "reactors": int})
    frame["rate"] = frame["reactors"] / frame["recipients"].where(frame["recipients"] > 0)
    bounds = [wilson(k, n) for k, n in zip(frame["reactors"], frame["recipients"])]
    frame["low"] = [b[0] for b in bounds]
    frame["high"] = [b[1] for b in bounds]
    return frame


def best_windows(frame: pd.DataFrame, n: int = BEST) -> pd.DataFrame:
    """The n windows with the highest lower 95 % bound among those with enough evidence
    (>= MIN_DELIVERIES deliveries and >= MIN_RECIPIENTS recipients); empty = not enough data."""
    enough = frame[(frame["deliveries"] >= MIN_DELIVERIES) & (frame["recipients"] >= MIN_RECIPIENTS)]
    return enough.sort_values(["low", "rate"], ascending=False).head(n).reset_index(drop=True)
