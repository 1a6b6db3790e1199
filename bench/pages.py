"""The pages' side of `python -m dashboard bench`: exactly the dashboard.analytics.metrics calls each
page makes (pages/*.py), with the sidebar's default filters and the page's default widgets, and the
Segments page's questions. One warm-up run, then `repeat` runs; a time is the median.
"""
from __future__ import annotations

import ast
import datetime as dt
import statistics
import time
from zoneinfo import ZoneInfo

import pandas as pd

from dashboard.core import config
from dashboard.analytics import metrics

FILTER_ROUTE = "coupon_ad"       # the route of the second column (the biggest, burstiest route)

# What each page asks (pages/*.py: `ui.ask(filters, metrics.name, **kwargs)`) with the widgets' defaults:
# (question, keyword arguments, weeks). Weeks: the page asks over the N weeks up to the period's
# end (`ui.lookback`; its first option is the default) instead of over the period itself.
PAGES = {
    "overview": ((metrics.overview_kpis, {}, None), (metrics.reactions_per_delivery, {}, 26),
                 (metrics.adds_blocks_daily, {}, None)),
    "acquisition": ((metrics.adds_blocks_daily, {}, None), (metrics.adds_by_weekday_hour, {}, None),
                    (metrics.route_quality, {}, 13)),
    "funnel": ((metrics.funnel, {"window_days": 14}, None),),
    "cohorts": ((metrics.retention, {}, 26),),
    "engagement": ((metrics.reactions_per_delivery, {}, 26), (metrics.richmenu_taps, {}, 13),
                   (metrics.survey_answers, {}, None)),
    "deliveries": ((metrics.deliveries, {}, None),),
}

# The CSV exports the pandas side starts from: only the columns its questions need. Statements are


# ---- segments ----------------------------------------------------------------------------------

# Issue 3's benchmark rule: route + tag + attribute + reactions in 30 days + purchased in 90 days.
SEGMENT_RULE = {"version": 1, "rule": {"all": [
    {"field": "route", "in": ["thanks_page", "parcel_qr", "site_banner"]},
    {"field": "tags", "match": "any", "tags": ["interest:skincare", "interest:supplement"]},
    {"field": "attribute", "key": "survey_concern", "op": "in", "value": ["肌荒れが気になる", "最近疲れやすい"]},
    {"field": "reactions", "type": "any", "min": 3, "within_days": 30},
    {"field": "purchased", "within_days": 90}]}}
ISSUE_RULE = {"version": 1, "rule": {"all": [  # the issue's "done when" example
    {"field": "interest", "in": ["hot", "warm"]}, {"field": "genre", "in": ["skincare"]},
    {"field": "route", "in": ["thanks_page"]}, {"not": {"field": "purchased", "within_days": 90}}]}}


def _median_ms(fn, repeat: int) -> tuple[float, object]:
    result = fn()  # warm-up
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def _time_segments(cur, repeat: int) -> str:
    """Median ms of exact segment counts and of the Segments page's questions."""
    from dashboard.audience import running

    rows = []
    five, n_five = _median_ms(lambda: running.count(cur, SEGMENT_RULE), repeat)
    rows.append(("5-condition count (route + tag + attribute + reactions 30 d + purchased 90 d)", five, n_five))
    issue, n_issue = _median_ms(lambda: running.count(cur, ISSUE_RULE), repeat)
    rows.append(("issue example (hot/warm × skincare × thanks page, no purchase in 90 d)", issue, n_issue))
    # what the page runs on each change: count, reachable count, breakdown, sample, matrix
    reachable = {"version": 1, "rule": {"all": [ISSUE_RULE["rule"], {"field": "following"}]}}
    page, _ = _median_ms(lambda: (running.count(cur, ISSUE_RULE), running.count(cur, reachable),
                                  running.breakdown(cur, ISSUE_RULE), running.sample(cur, ISSUE_RULE),
                                  running.matrix(cur)), repeat)
    rows.append(("Segments page (count, reachable, breakdown, sample, matrix)", page, None))
    lines = ["| Segment question | DuckDB median (ms) | members |", "|---|---:|---:|"]
    for label, ms, members in rows:
        lines.append(f"| {label} | {ms:,.0f} | {'' if members is None else f'{members:,}'} |")
        print(f"  segments: {label}: {ms:.1f} ms", flush=True)
    return "\n".join(lines)


def default_period(cur, tz: str | None = None) -> metrics.Period:
    """The sidebar's default (web/sidebar.py / metrics.default_last_day): the 28 days up to today, or
    to the last day with events when a whole window has none."""
    tz = tz or config.timezone()
    _, last = metrics.data_range(cur)
    today = dt.datetime.now(ZoneInfo(tz)).date()
    last_day = metrics.default_last_day(today, None if last is None else pd.Timestamp(last).tz_convert(tz).date())
    return metrics.Period(last_day - dt.timedelta(days=metrics.DEFAULT_DAYS - 1), last_day, tz)


def _period(period: metrics.Period, weeks: int | None) -> metrics.Period:
    """ui.lookback: the N weeks up to the period's end."""
    if not weeks:
        return period
    return metrics.Period(period.last - dt.timedelta(days=7 * weeks - 1), period.last, period.tz)


def _asked(source: str, lookback_weeks: int) -> list[tuple[str, int | None]]:
    """(question, weeks) of every `ui.ask` in a page's source."""
    tree = ast.parse(source)
    assigned = {t.id: node.value for node in ast.walk(tree) if isinstance(node, ast.Assign)
                for t in node.targets if isinstance(t, ast.Name)}
    is_ui = lambda node, fn: (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                              and node.func.attr == fn and getattr(node.func.value, "id", "") == "ui")
    found = []
    for node in ast.walk(tree):
        asked = node.args[1] if is_ui(node, "ask") and len(node.args) >= 2 else None
        if isinstance(asked, ast.Attribute) and getattr(asked.value, "id", "") == "metrics":
            scope = node.args[0]
            scope = assigned.get(scope.id, scope) if isinstance(scope, ast.Name) else scope
            weeks = None
            if is_ui(scope, "lookback"):
                options = [k.value for k in scope.keywords if k.arg == "options"]
                weeks = ast.literal_eval(options[0])[0] if options else lookback_weeks
            found.append((asked.attr, weeks or None))
    return found


def _check_pages_unchanged() -> None:
    # PAGES is written out by hand so it reads as a table; warn when a page starts asking
    # something else, so the benchmark does not silently time yesterday's page.
    ui_source = ast.parse((config.ROOT / "dashboard" / "web" / "widgets.py").read_text(encoding="utf-8"))
    lookback = next((n for n in ast.walk(ui_source) if isinstance(n, ast.FunctionDef) and n.name == "lookback"), None)
    lookback_weeks = ast.literal_eval(lookback.args.defaults[-1])[0] if lookback and lookback.args.defaults else None
    for page, calls in PAGES.items():
        asked = _asked((config.ROOT / "pages" / f"{page}.py").read_text(encoding="utf-8"), lookback_weeks)
        timed = [(fn.__name__, weeks) for fn, _, weeks in calls]
        if sorted(asked, key=str) != sorted(timed, key=str):
            print(f"  warning: pages/{page}.py asks {asked}; the benchmark times {timed}", flush=True)


# ---- timing -----------------------------------------------------------------------------------

def _time_page(cur, calls, period, routes, repeat) -> tuple[float, dict, dict]:
    """Median page total over `repeat` runs after one warm-up (which fills DuckDB's buffers), the
    last run's answers, and the median per question."""
    per_call = {fn.__name__: [] for fn, _, _ in calls}
    answers = {}

    def run():
        total = 0.0
        for fn, kwargs, weeks in calls:
            name = fn.__name__
            args = () if period is None else (_period(period, weeks), list(routes))
            started = time.perf_counter()
            answers[name] = fn(cur, *args, **kwargs)
            took = (time.perf_counter() - started) * 1000
            per_call[name].append(took)
            total += took
        return total

    run()
    for values in per_call.values():
        values.clear()
    totals = [run() for _ in range(repeat)]
    return statistics.median(totals), answers, {k: statistics.median(v) for k, v in per_call.items()}
