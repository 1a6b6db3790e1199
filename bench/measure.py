"""`python -m dashboard bench`: how long each page's questions take at a given account size.

Per page it times exactly the dashboard.analytics.metrics calls the page makes (pages/*.py), with the
sidebar's default filters (the last 28 days of data, all routes) and the page's default widgets,
and once more with one route chosen. One warm-up run, then `repeat` runs; a page's time is the
median of the runs' totals.

For comparison it answers the same questions the way an operator would without the dashboard:
CSV exports read with pandas.read_csv, then group-bys over the raw frames (no DuckDB, no rollup
tables), and checks that headline numbers agree. The result is a Markdown table for the README,
also written to data/bench-<friends>.md.

Targets (DESIGN §9): the demo build of 1,000,000 friends / 30M+ events in under 3 minutes on two
cores, and every page in at most 500 ms at that size.
"""
from __future__ import annotations

import ast
import datetime as dt
import math
import os
import platform
import re
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import numpy as np
import pandas as pd

from dashboard.core import config, queries, storage
from dashboard.analytics import demo, metrics

# A fixed end date: the same seed and size build the same account whatever the day.
BUILD = {"seed": 42, "days": 180, "end": dt.date(2026, 11, 24)}
FILTER_ROUTE = "coupon_ad"       # the route of the second column (the biggest, burstiest route)
TARGET_MS = 500

# What each page asks (pages/*.py: `ui.ask(filters, metrics.name, **kwargs)`) with the widgets' defaults:
# (question, keyword arguments, weeks). Weeks: the page asks over the N weeks up to the period's
# end (`ui.lookback`; its first option is the default) instead of over the period itself.
PAGES = {
    "overview": (("overview_kpis", {}, None), ("reactions_per_delivery", {}, 26),
                 ("adds_blocks_daily", {}, None)),
    "acquisition": (("adds_blocks_daily", {}, None), ("adds_by_weekday_hour", {}, None),
                    ("route_quality", {}, 13)),
    "funnel": (("funnel", {"window_days": 14}, None),),
    "cohorts": (("retention", {}, 26),),
    "engagement": (("reactions_per_delivery", {}, 26), ("richmenu_taps", {}, 13),
                   ("survey_answers", {}, None)),
    "deliveries": (("deliveries", {}, None),),
}

# The CSV exports the pandas side starts from: only the columns its questions need. Statements are
# built from this fixed list, never from input; the file name is bound.
EXPORTS = {
    "friends": "select user_key, followed_at, last_followed_at, blocked_at, inflow_route from friends",
    "events": "select user_key, type, occurred_at, delivery_id, detail from events",
    "deliveries": "select delivery_id, title, kind, is_promotion, status, sent_count, sent_at from deliveries",
    "delivery_stats": "select delivery_id, day, unique_impressions, unique_clicks from delivery_stats",
    "site_visits": "select day, inflow_route, visits from site_visits",
}
TIMESTAMPS = {"friends": ["followed_at", "last_followed_at", "blocked_at"], "events": ["occurred_at"],
              "deliveries": ["sent_at"]}
DATES = {"delivery_stats": ["day"], "site_visits": ["day"]}
TEXT = {"events": {"delivery_id": "str", "detail": "str"}}  # mostly empty: say they are text


def main(friends: int, db: str | None = None, repeat: int = 7, pandas: bool = True) -> int:
    path, ours = _bench_path(friends, db)
    problem = _outdated(path) if path.exists() else None
    if problem and not ours:
        raise storage.StorageError(f"{path} was built by older code ({problem}); rebuild it")
    if problem:  # our own derived file: build it again
        print(f"{path.name} was built by older code ({problem}); rebuilding it", flush=True)
        path.unlink()
    build_s = None if path.exists() else _build(path, friends)
    con = storage.connect(path, read_only=True)
    try:
        cur = con.cursor()
        info = _account(cur, path, repeat)
        period = default_period(cur)
        route = FILTER_ROUTE if FILTER_ROUTE in set(metrics.routes(cur)["route"]) else None
        print(f"{info['friends']:,} friends, {info['events']:,} events; period {period.first} – "
              f"{period.last}; {repeat} runs after a warm-up", flush=True)
        _check_pages_unchanged()
        sidebar_ms = _time_page(cur, (("data_range", {}, None), ("routes", {}, None)), None, None, repeat)[0]
        duck, answers = {}, {}
        for page, calls in PAGES.items():
            all_ms, answers[page], per_call = _time_page(cur, calls, period, [], repeat)
            route_ms, _, per_call_route = (_time_page(cur, calls, period, [route], repeat) if route
                                           else (None, None, {}))
            duck[page] = (all_ms, route_ms, per_call, per_call_route)
            print(f"  {page:<12} {all_ms:8.1f} ms   {route or '-'}: "
                  f"{'-' if route_ms is None else f'{route_ms:.1f}'} ms", flush=True)
        segment_lines = _time_segments(cur, repeat)
        info["rss_duckdb_gib"] = _peak_rss_gib()
        pandas_result = _pandas_side(cur, period, answers, path.parent) if pandas else None
    finally:
        con.close()
    info["rss_gib"], info["load_end"] = _peak_rss_gib(), os.getloadavg()[0]
    table = render(info, period, route, build_s, sidebar_ms, duck, pandas_result) + "\n\n" + segment_lines
    print()
    print(table)
    out = data_dir() / f"bench-{friends}.md"
    out.write_text(table + "\n", encoding="utf-8")
    print(f"\n(written to {out})")
    if pandas_result and any(not c[3] for checks in pandas_result["checks"].values() for c in checks):
        print("error: pandas and DuckDB disagree on a headline number (see DIFFERS above)", file=sys.stderr)
        return 1
    return 0


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


# ---- the database -----------------------------------------------------------------------------

def data_dir() -> Path:
    """data/ of the checkout, where the benchmark writes its report and scratch files; a fresh
    clone has none (it is not in git), so it is made here."""
    path = config.ROOT / "data"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _bench_path(friends: int, db: str | None) -> tuple[Path, bool]:
    """The database to time, and whether it is the benchmark's own (rebuilt when outdated)."""
    # __main__ fills a missing --db with DASHBOARD_DB for every command, bench included: that value
    # is only the user's choice when they typed --db (otherwise we would time the live account).
    typed = any(a == "--db" or a.startswith("--db=") for a in sys.argv[1:])
    if db is None or (not typed and Path(db).resolve() == config.db_path().resolve()):
        return config.ROOT / "data" / f"bench-{friends}.duckdb", True
    return Path(db), False


def _build(path: Path, friends: int) -> float:
    """Build the demo account; the build time is itself a benchmark number."""
    # Build under another name and rename at the end: an interrupted build never leaves a
    # half-filled file that the next run would take for a finished one.
    partial = path.with_name(path.name + ".partial")
    for stale in (partial, Path(str(partial) + ".wal")):
        stale.unlink(missing_ok=True)
    print(f"building {path.name}: {friends:,} friends, {BUILD['days']} days to {BUILD['end']} "
          f"(load average {os.getloadavg()[0]:.1f})", flush=True)
    started = time.perf_counter()
    try:
        demo.build(partial, friends=friends, **BUILD, progress=lambda line: print(line, flush=True))
    except BaseException:
        partial.unlink(missing_ok=True)
        Path(str(partial) + ".wal").unlink(missing_ok=True)
        raise
    seconds = time.perf_counter() - started
    partial.rename(path)
    print(f"build time: {seconds:.1f} s", flush=True)
    return seconds


def _outdated(path: Path) -> str | None:
    """Why a database built by older code cannot answer today's queries, or None."""
    con = storage.connect(path, read_only=True)
    try:
        cur = con.cursor()
        version = cur.execute("select max(version) from schema_version").fetchone()[0]
        if version < storage.current_version():
            return f"schema version {version}, this program writes {storage.current_version()}"
        sample = metrics.Period(BUILD["end"] - dt.timedelta(days=28), BUILD["end"])
        values = {**sample.params([]), "as_of": sample.end, "window_days": 14, "active_days": 30}
        for name in metrics.QUERY_NAMES:  # describe binds a query to the tables without running it
            try:
                cur.execute("describe " + queries.sql(name).strip().rstrip(";"),
                            {k: values[k] for k in queries.parameters(name)})
            except duckdb.Error as exc:
                return f"query {name} does not fit it: {str(exc).splitlines()[0]}"
        return None
    finally:
        con.close()


def _account(cur, path: Path, repeat: int) -> dict:
    count = lambda table: cur.execute(f"select count(*) from {table}").fetchone()[0]  # fixed names
    return {"friends": count("friends"), "events": count("events"), "db": path.name,
            "db_gib": path.stat().st_size / 2**30, "repeat": repeat, "cores": os.cpu_count(),
            "cpu": _cpu_model(), "platform": f"{platform.system()} {platform.release()} {platform.machine()}",
            "duckdb": duckdb.__version__, "pandas": pd.__version__, "python": platform.python_version(),
            "load_start": os.getloadavg()[0]}


def _cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or "?"
    match = re.search(r"^model name\s*:\s*(.+)$", text, re.M)
    return match.group(1).strip() if match else "?"


def _peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux


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
        timed = [(name, weeks) for name, _, weeks in calls]
        if sorted(asked, key=str) != sorted(timed, key=str):
            print(f"  warning: pages/{page}.py asks {asked}; the benchmark times {timed}", flush=True)


# ---- timing -----------------------------------------------------------------------------------

def _time_page(cur, calls, period, routes, repeat) -> tuple[float, dict, dict]:
    """Median page total over `repeat` runs after one warm-up (which fills DuckDB's buffers), the
    last run's answers, and the median per question."""
    per_call = {name: [] for name, _, _ in calls}
    answers = {}

    def run():
        total = 0.0
        for name, kwargs, weeks in calls:
            args = () if period is None else (_period(period, weeks), list(routes))
            started = time.perf_counter()
            answers[name] = getattr(metrics, name)(cur, *args, **kwargs)
            took = (time.perf_counter() - started) * 1000
            per_call[name].append(took)
            total += took
        return total

    run()
    for values in per_call.values():
        values.clear()
    totals = [run() for _ in range(repeat)]
    return statistics.median(totals), answers, {k: statistics.median(v) for k, v in per_call.items()}


# ---- the pandas side --------------------------------------------------------------------------

def _pandas_side(cur, period, duck_answers: dict, data_dir: Path) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="bench-csv-", dir=data_dir))
    try:
        started = time.perf_counter()
        for name, select in EXPORTS.items():
            cur.execute(f"copy ({select}) to $file (header)", {"file": str(tmp / f"{name}.csv")})
        export_s = time.perf_counter() - started
        csv_gib = sum(p.stat().st_size for p in tmp.iterdir()) / 2**30
        print(f"exported CSV: {csv_gib:.2f} GiB in {export_s:.1f} s", flush=True)
        started = time.perf_counter()
        frames = {name: _read_csv(tmp / f"{name}.csv", name, period.tz) for name in EXPORTS}
        load_s = time.perf_counter() - started
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    frames_gib = sum(f.memory_usage(deep=True).sum() for f in frames.values()) / 2**30
    print(f"pandas.read_csv: {load_s:.1f} s, {frames_gib:.1f} GiB in memory", flush=True)
    result = {"export_s": export_s, "csv_gib": csv_gib, "load_s": load_s, "frames_gib": frames_gib,
              "ms": {}, "checks": {}}
    for page, calls in PAGES.items():
        # One run: each pandas question scans the raw frames, so its time hardly varies.
        started = time.perf_counter()
        answers = {name: PANDAS[name](frames, _period(period, weeks), **kwargs)
                   for name, kwargs, weeks in calls}
        result["ms"][page] = (time.perf_counter() - started) * 1000
        result["checks"][page] = checks = []
        for name, _, _ in calls:
            for label, (duck, plain) in _compare(name, duck_answers[page][name], answers[name]).items():
                checks.append((f"{name}: {label}", duck, plain, duck == plain))
        bad = [c for c in checks if not c[3]]
        print(f"  {page:<12} pandas {result['ms'][page]:9.1f} ms   headline numbers "
              f"{'match' if not bad else 'DIFFER'} ({len(checks) - len(bad)}/{len(checks)})", flush=True)
        for label, duck, plain, _ in bad:
            print(f"      DIFFERS {label}: duckdb {str(duck)[:300]} pandas {str(plain)[:300]}", flush=True)
    return result


def _read_csv(path: Path, name: str, tz: str) -> pd.DataFrame:
    stamps, dates = TIMESTAMPS.get(name, []), DATES.get(name, [])
    frame = pd.read_csv(path, parse_dates=stamps + dates, dtype=TEXT.get(name))
    for col in stamps:  # DuckDB writes "+09" offsets; work in the account's zone like the pages
        frame[col] = pd.to_datetime(frame[col], utc=True).dt.tz_convert(tz)
    return frame


REACTIONS = metrics.REACTION_TYPES
PURCHASES = ["purchase", "conversion"]
DAY = pd.Timedelta(days=1)


def _bounds(period) -> tuple[pd.Timestamp, pd.Timestamp]:
    return pd.Timestamp(period.start), pd.Timestamp(period.end)


def _between(series, lo, hi):
    return (series >= lo) & (series < hi)


def _following(f, at):
    """Followed at `at`: added before it and not blocked as of it (a re-follow after a block counts)."""
    return (f.followed_at < at) & (f.blocked_at.isna() | (f.blocked_at >= at)
                                  | ((f.last_followed_at > f.blocked_at) & (f.last_followed_at < at)))


def _events(e, lo, hi, types):
    # Time first: a cheap comparison that leaves few rows for the string comparison.
    x = e[_between(e.occurred_at, lo, hi)]
    return x[x.type.isin(types)]


def _delivery_reactors(d, sent):
    """(delivery_id, user_key, sent_at) of friends who reacted to a delivery within 24 h of it."""
    r = _events(d["events"], sent.sent_at.min(), sent.sent_at.max() + DAY, REACTIONS)
    r = r[r.delivery_id.isin(sent.delivery_id)].merge(sent[["delivery_id", "sent_at"]], on="delivery_id")
    r = r[_between(r.occurred_at, r.sent_at, r.sent_at + DAY)]
    return r[["delivery_id", "user_key", "sent_at"]].drop_duplicates()


def pd_reactions_per_delivery(d, period):
    dl = d["deliveries"]
    sent = dl[_between(dl.sent_at, *_bounds(period)) & (dl.sent_count > 0)]
    reactors = _delivery_reactors(d, sent).groupby("delivery_id").size()
    out = sent[["delivery_id", "title", "sent_at"]].assign(
        recipients=sent.sent_count, reactors=sent.delivery_id.map(reactors).fillna(0).astype("int64"))
    return out.assign(reaction_rate=out.reactors / out.recipients)


def _pd_period_numbers(d, period) -> dict:
    f, e = d["friends"], d["events"]
    lo, hi = _bounds(period)
    new = int(_between(f.followed_at, lo, hi).sum())
    following_start, following_end = int(_following(f, lo).sum()), int(_following(f, hi).sum())
    blocks = len(_events(e, lo, hi, ["unfollow"]))
    days = config.get_int("DASHBOARD_ACTIVE_DAYS")  # a reaction on one of the N days before the end
    window_start = pd.Timestamp(metrics.Period(period.last - dt.timedelta(days=days - 1), period.last, period.tz).start)
    reacted = _events(e, window_start, hi, REACTIONS).user_key.unique()
    active = int((_following(f, hi) & f.user_key.isin(reacted)).sum())
    rpd = pd_reactions_per_delivery(d, period)
    exposed = following_start + new
    return {"friends": int((f.followed_at < hi).sum()), "following": following_end, "new_friends": new,
            "blocks": blocks, "block_rate": blocks / exposed if exposed else None,
            "active_friends": active, "active_rate": active / following_end if following_end else None,
            "reactions_per_delivery": (rpd.reactors.sum() / rpd.recipients.sum()) if len(rpd) else None}


def _pd_messages_sent(d, period) -> int:
    dl = d["deliveries"]
    return int(dl.loc[_between(dl.sent_at, *_bounds(period)) & dl.status.isin(["sent", "sending", "failed"]),
                      "sent_count"].sum())


def pd_overview_kpis(d, period):
    now, before = _pd_period_numbers(d, period), _pd_period_numbers(d, period.previous())
    now["messages_sent_month"] = _pd_messages_sent(d, period.month_to_date())
    before["messages_sent_month"] = _pd_messages_sent(d, period.previous_month_to_date())
    return {"kpis": {k: {"value": now[k], "previous": before[k]} for k in now}}


def pd_adds_blocks_daily(d, period):
    x = _events(d["events"], *_bounds(period), ["follow", "unfollow"])
    counts = x.groupby([x.occurred_at.dt.normalize(), x.type]).size().unstack(fill_value=0)
    days = pd.date_range(period.first, period.last, freq="D", tz=period.tz)
    counts = counts.reindex(days, fill_value=0).reindex(columns=["follow", "unfollow"], fill_value=0)
    return pd.DataFrame({"day": days.date, "adds": counts["follow"].to_numpy(),
                         "blocks": counts["unfollow"].to_numpy()})


def pd_adds_by_weekday_hour(d, period):
    f = d["friends"]
    added = f.loc[_between(f.followed_at, *_bounds(period)), "followed_at"]
    counts = added.groupby([added.dt.dayofweek.rename("weekday") + 1, added.dt.hour.rename("hour")]).size()
    grid = pd.MultiIndex.from_product([range(1, 8), range(24)], names=["weekday", "hour"])
    return counts.reindex(grid, fill_value=0).rename("adds").reset_index()


def _added(d, period):
    """Friends first added in the period, with their route ('unknown' when none)."""
    f = d["friends"]
    new = f[_between(f.followed_at, *_bounds(period))].copy()
    new["route"] = new.inflow_route.fillna("unknown")
    return new


def _after_add(d, new, types):
    """Events of these types by these friends at or after their first add."""
    e = d["events"]
    x = e[e.occurred_at >= new.followed_at.min()]
    x = x[x.user_key.isin(new.user_key) & x.type.isin(types)]
    x = x.merge(new[["user_key", "followed_at"]], on="user_key")
    return x[x.occurred_at >= x.followed_at]


def _first_blocked_at(d, new):
    """The first block after the add (friends.blocked_at is the latest; a re-follow hides earlier ones)."""
    first = _after_add(d, new, ["unfollow"]).groupby("user_key").occurred_at.min()
    return new.blocked_at if first.empty else new.user_key.map(first).fillna(new.blocked_at)


def _did_within(d, new, until, types):
    """Per new friend: any event of these types from the add until `until` (a Series like new)?"""
    x = _after_add(d, new, types).merge(until.rename("until").to_frame().assign(user_key=new.user_key),
                                        on="user_key")
    return new.user_key.isin(x.loc[x.occurred_at < x.until, "user_key"])


def pd_route_quality(d, period):
    as_of = max(_bounds(period)[1], d["events"].occurred_at.max())
    new = _added(d, period)
    blocked_at = _first_blocked_at(d, new)
    seen_7d = new.followed_at <= as_of - 7 * DAY
    seen_30d = new.followed_at <= as_of - 30 * DAY
    until = new.followed_at + 30 * DAY
    flags = pd.DataFrame({
        "route": new.route, "adds": 1, "observed_7d": seen_7d, "observed_30d": seen_30d,
        "blocked_7d": seen_7d & (blocked_at < new.followed_at + 7 * DAY),
        "blocked_30d": seen_30d & (blocked_at < until),
        "reacted_30d": seen_30d & _did_within(d, new, until, REACTIONS),
        "converted_30d": seen_30d & _did_within(d, new, until, PURCHASES)})
    g = flags.groupby("route").sum()
    rate = lambda n, of: g[n] / g[of].where(g[of] > 0)
    return pd.DataFrame({
        "adds": g.adds, "block_rate_7d": rate("blocked_7d", "observed_7d"),
        "block_rate_30d": rate("blocked_30d", "observed_30d"),
        "reaction_rate_30d": rate("reacted_30d", "observed_30d"),
        "conversion_rate_30d": rate("converted_30d", "observed_30d"),
        "observed_7d": g.observed_7d, "observed_30d": g.observed_30d,
    }).reset_index().sort_values("adds", ascending=False)


def pd_funnel(d, period, window_days=14):
    lo, hi = _bounds(period)
    sv = d["site_visits"]
    days = _between(sv.day, pd.Timestamp(period.first), pd.Timestamp(period.last) + DAY)
    visits = sv[days].groupby("inflow_route").visits.sum().rename_axis("route")
    new = _added(d, period)
    until = (new.followed_at + window_days * DAY).clip(upper=hi)
    reacted = _did_within(d, new, until, REACTIONS)
    steps = new.assign(reacted=reacted, converted=reacted & _did_within(d, new, until, PURCHASES))
    steps = steps.groupby("route").agg(adds=("user_key", "size"), reacted=("reacted", "sum"),
                                       converted=("converted", "sum"))
    frame = steps.join(visits, how="outer").fillna(0).astype("int64").reset_index()
    total = frame[["visits", "adds", "reacted", "converted"]].sum().to_frame().T.assign(route="__total__")
    return pd.concat([frame, total], ignore_index=True)


def pd_retention(d, period):
    hi = _bounds(period)[1]
    new = _added(d, period)
    local_day = new.followed_at.dt.normalize()
    add_week = (local_day - pd.to_timedelta(local_day.dt.dayofweek, unit="D")).dt.date
    kept_days = (_first_blocked_at(d, new).fillna(hi) - new.followed_at).dt.total_seconds() / 86400
    cohorts = pd.DataFrame({"add_week": add_week, "kept": np.minimum(np.floor(kept_days / 7), 13),
                            "followed_at": new.followed_at})
    rows = []
    for week_start, c in cohorts.groupby("add_week"):
        for week in range(1, 13):
            complete = c.followed_at.max() + week * 7 * DAY <= hi
            rows.append({"add_week": week_start, "size": len(c), "week": week,
                         "retention": (c.kept >= week).sum() / len(c) if complete else None})
    return pd.DataFrame(rows)


def pd_richmenu_taps(d, period):
    x = _events(d["events"], *_bounds(period), ["richmenu_tap"])
    return (x.assign(day=x.occurred_at.dt.normalize().dt.date, area=x.detail.fillna("?"))
            .groupby(["day", "area"]).agg(taps=("user_key", "size"), tappers=("user_key", "nunique"))
            .reset_index())


def pd_survey_answers(d, period):
    x = _events(d["events"], *_bounds(period), ["survey_answer"])
    respondents = x.assign(answer=x.detail.fillna("?")).groupby("answer").user_key.nunique()
    return respondents.rename("respondents").reset_index().assign(
        share=lambda t: t.respondents / x.user_key.nunique())


def pd_deliveries(d, period):
    lo, hi = _bounds(period)
    dl, e = d["deliveries"], d["events"]
    sent = dl[_between(dl.sent_at, lo, hi)]
    stats = d["delivery_stats"].groupby("delivery_id").agg(
        unique_impressions=("unique_impressions", "sum"), unique_clicks=("unique_clicks", "sum"),
        imp_under_20=("unique_impressions", lambda s: s.isna().any()))
    reactors = _delivery_reactors(d, sent)
    bought = _events(e, lo, hi + 8 * DAY, PURCHASES)[["user_key", "occurred_at"]]
    bought = reactors.merge(bought, on="user_key")
    bought = bought[_between(bought.occurred_at, bought.sent_at, bought.sent_at + 7 * DAY)]
    unfollows = _events(e, lo, hi + DAY, ["unfollow"])[["occurred_at"]]
    blocks = sent[["delivery_id", "sent_at"]].merge(unfollows, how="cross")
    blocks = blocks[_between(blocks.occurred_at, blocks.sent_at, blocks.sent_at + DAY)]
    count = lambda frame: sent.delivery_id.map(frame.groupby("delivery_id").size()).fillna(0).astype("int64")
    return sent[["delivery_id", "sent_at", "title", "sent_count"]].merge(
        stats, left_on="delivery_id", right_index=True, how="left").assign(
        reactors_24h=count(reactors),
        blocks_24h=count(blocks),
        conversions_7d=count(bought[["delivery_id", "user_key"]].drop_duplicates()),
    ).sort_values("sent_at", ascending=False)


PANDAS = {"overview_kpis": pd_overview_kpis, "reactions_per_delivery": pd_reactions_per_delivery,
          "adds_blocks_daily": pd_adds_blocks_daily, "adds_by_weekday_hour": pd_adds_by_weekday_hour,
          "route_quality": pd_route_quality, "funnel": pd_funnel, "retention": pd_retention,
          "richmenu_taps": pd_richmenu_taps, "survey_answers": pd_survey_answers,
          "deliveries": pd_deliveries}


# ---- headline numbers both sides must agree on -----------------------------------------------

def _by(frame, key, col):
    return dict(zip(frame[key].astype(str), frame[col]))


HEADLINES = {
    "overview_kpis": lambda r: {k: r["kpis"][k]["value"] for k in (
        "friends", "following", "new_friends", "blocks", "block_rate", "active_friends",
        "reactions_per_delivery", "messages_sent_month")}
        | {"previous blocks": r["kpis"]["blocks"]["previous"],
           "previous active_friends": r["kpis"]["active_friends"]["previous"]},
    "reactions_per_delivery": lambda r: {"reactors by delivery": _by(r, "delivery_id", "reactors")},
    "adds_blocks_daily": lambda r: {"adds total": r.adds.sum(), "blocks total": r.blocks.sum(),
                                    "adds by day": _by(r, "day", "adds")},
    "adds_by_weekday_hour": lambda r: {"adds total": r.adds.sum(), "busiest cell": r.adds.max()},
    "route_quality": lambda r: {"adds by route": _by(r, "route", "adds"),
                                "block rate 7d": _by(r, "route", "block_rate_7d"),
                                "block rate 30d": _by(r, "route", "block_rate_30d"),
                                "reaction rate 30d": _by(r, "route", "reaction_rate_30d"),
                                "conversion rate 30d": _by(r, "route", "conversion_rate_30d")},
    "funnel": lambda r: {f"total {c}": r.loc[r.route == "__total__", c].sum()
                         for c in ("visits", "adds", "reacted", "converted")},
    "retention": lambda r: {"cohort sizes": _by(r[r.week == 1], "add_week", "size"),
                            "week 1 retention": _by(r[r.week == 1], "add_week", "retention"),
                            "week 4 retention": _by(r[r.week == 4], "add_week", "retention")},
    "richmenu_taps": lambda r: {"taps": r.taps.sum(), "tappers (day × area)": r.tappers.sum()},
    "survey_answers": lambda r: {"respondents by answer": _by(r, "answer", "respondents")},
    "deliveries": lambda r: {c: _by(r, "delivery_id", c) for c in (
        "reactors_24h", "blocks_24h", "conversions_7d", "unique_impressions")},
}


def _plain(value):
    """Numbers as comparable Python values: NaN and None alike, floats to 9 places."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if value is None or (isinstance(value, (float, np.floating)) and math.isnan(value)):
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return round(float(value), 9)
    return value


def _compare(name: str, duck, plain) -> dict[str, tuple]:
    a, b = HEADLINES[name](duck), HEADLINES[name](plain)
    return {label: (_plain(a[label]), _plain(b[label])) for label in a}


# ---- the report -------------------------------------------------------------------------------

def render(info, period, route, build_s, sidebar_ms, duck, plain) -> str:
    route_col = f"route `{route}`" if route else "one route"
    lines = [f"### Benchmark: {info['friends']:,} friends, {info['events']:,} events", "",
             f"Machine: {info['cores']} cores ({info['cpu']}), {info['platform']}; Python "
             f"{info['python']}, DuckDB {info['duckdb']}, pandas {info['pandas']}. Database "
             f"`{info['db']}` ({info['db_gib']:.2f} GiB). Load average (1 min) "
             f"{info['load_start']:.1f} at the start, {info['load_end']:.1f} at the end.",
             f"Period: {period.first} – {period.last} (the default: the last 28 days of data; questions "
             "with a history selector use its default). DuckDB: the sum of the page's questions, median "
             f"of {info['repeat']} runs after one warm-up. pandas: the same questions over CSV exports "
             "loaded into memory, one run, load time excluded.", ""]
    head = f"| Page | DuckDB, all routes (ms) | DuckDB, {route_col} (ms) |"
    rule = "|---|---:|---:|"
    if plain:
        head += " pandas on CSV (ms) | pandas ÷ DuckDB | same numbers |"
        rule += "---:|---:|---|"
    lines += [head, rule]
    for page, (all_ms, route_ms, _, _) in duck.items():
        row = f"| {page} | {all_ms:,.0f} | {'-' if route_ms is None else f'{route_ms:,.0f}'} |"
        if plain:
            checks = plain["checks"][page]
            ok = sum(c[3] for c in checks)
            row += (f" {plain['ms'][page]:,.0f} | {plain['ms'][page] / all_ms:,.0f}× |"
                    f" {'yes' if ok == len(checks) else 'NO'} ({ok}/{len(checks)}) |")
        lines.append(row)
    worst = max(max(a, r or 0) for a, r, _, _ in duck.values())
    lines += ["", f"- Slowest page: {worst:,.0f} ms (target ≤ {TARGET_MS} ms at 1,000,000 friends: "
                  f"{'met' if worst <= TARGET_MS else 'NOT met'} at this size).",
              f"- Sidebar, on every page (data range + routes, cached 60 s): {sidebar_ms:,.0f} ms."]
    if build_s is not None:
        lines.append(f"- Demo build (`demo.build`, seed {BUILD['seed']}, {BUILD['days']} days): "
                     f"{build_s:,.1f} s (target < 180 s for 1,000,000 friends).")
    if plain:
        lines.append(f"- pandas: CSV export {plain['csv_gib']:.2f} GiB (DuckDB COPY, "
                     f"{plain['export_s']:.1f} s); `pandas.read_csv` of it {plain['load_s']:.1f} s before "
                     f"any question can be answered; the frames hold {plain['frames_gib']:.1f} GiB.")
    lines.append(f"- Peak memory of the benchmark process: {info['rss_duckdb_gib']:.1f} GiB"
                 + (f" before the pandas part, {info['rss_gib']:.1f} GiB in all" if plain else "")
                 + (" (the build ran in the same process)." if build_s is not None else "."))
    lines += ["", f"| Page | Question | History | All routes (ms) | {route_col} (ms) |",
              "|---|---|---|---:|---:|"]
    for page, (_, _, per_call, per_call_route) in duck.items():
        for name, _, weeks in PAGES[page]:
            ms_route = per_call_route.get(name)
            lines.append(f"| {page} | {name} | {f'{weeks} weeks' if weeks else 'period'} | "
                         f"{per_call[name]:,.0f} | {'-' if ms_route is None else f'{ms_route:,.0f}'} |")
    return "\n".join(lines)


# ---- the send engine ---------------------------------------------------------------------------

def send_bench(recipients_list: list[int]) -> str:
    """Plan and send N recipients through a sandbox process over HTTP; wall time and memory.

    Each size runs in a fresh child process, so its peak memory is its own (memory must stay flat
    in the audience size: the engine reads the ledger 200 batches at a time)."""
    import json as _json
    import subprocess
    import tempfile

    lines = ["| Recipients | Batches | Plan (s) | Send (s) | Recipients/s | Peak memory (MiB) | Sandbox check |",
             "|---:|---:|---:|---:|---:|---:|---|"]
    for n in recipients_list:
        with tempfile.TemporaryDirectory(dir=data_dir()) as tmp:
            out = subprocess.run([sys.executable, "-c", _SEND_CHILD, tmp, str(n)], cwd=config.ROOT,
                                 capture_output=True, text=True, timeout=1800)
            if out.returncode != 0:
                raise RuntimeError(f"send benchmark failed: {out.stderr[-2000:]}")
            r = _json.loads(out.stdout.strip().splitlines()[-1])
        lines.append(f"| {n:,} | {r['batches']:,} | {r['plan_s']:.1f} | {r['send_s']:.1f} | {n / r['send_s']:,.0f} | "
                     f"{r['rss_mib']:,.0f} | {r['check']} |")
        print(f"  send {n:,}: plan {r['plan_s']:.1f} s, send {r['send_s']:.1f} s, peak {r['rss_mib']:.0f} MiB, {r['check']}",
              flush=True)
    return "\n".join(lines)


_SEND_CHILD = r"""
import json, resource, sys, time, uuid
from pathlib import Path
from dashboard.line import api as line_api
from dashboard.messaging import sending
from dashboard.core import storage
from dashboard.line.sandbox_process import Sandbox
tmp, n = Path(sys.argv[1]), int(sys.argv[2])
box = Sandbox(tmp / "sandbox")
try:
    con = storage.connect(tmp / "send.duckdb")
    # the audience as the compose page hands it over: a query, so no list of IDs lives in Python
    source = ("select 'U' || lpad(to_hex(i), 32, '0') as user_id from range($n) t(i)", {"n": n})
    started = time.perf_counter()
    sending.plan(con, delivery_id="bench", source=source, messages=[{"type": "text", "text": "ベンチマーク"}])
    plan_s = time.perf_counter() - started
    started = time.perf_counter()
    report = sending.run(con, "bench", line_api.clients(box.url, "token"))
    send_s = time.perf_counter() - started
    summary = box.summary()
    ok = report.sent == n and summary["recipients"] == n and summary["deliveries"] == n and not summary["duplicates"]
    print(json.dumps({"plan_s": plan_s, "send_s": send_s, "batches": (n + 499) // 500,
                      "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "check": "each recipient exactly once" if ok else f"MISMATCH {summary['recipients']}"}))
finally:
    box.stop()
"""


# ---- the webhook receiver ----------------------------------------------------------------------

def webhook_bench(seconds: float = 10.0, connections: int = 32) -> str:
    """Requests per second and latency of `python -m dashboard webhook` on loopback: signed bodies,
    durable (fsync'd) spooling, keep-alive HTTP/1.1 from an asyncio client in this process (which
    shares the two cores with the server, so the numbers are a floor)."""
    import asyncio
    import json as _json
    import socket
    import subprocess
    import tempfile

    from dashboard.intake import receiver

    secret = "bench-secret"
    with tempfile.TemporaryDirectory(dir=data_dir()) as tmp:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env = {**os.environ, "LINE_CHANNEL_SECRET": secret, "DASHBOARD_SPOOL": str(Path(tmp) / "spool")}
        proc = subprocess.Popen([sys.executable, "-m", "dashboard", "webhook", "--port", str(port)], cwd=config.ROOT,
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            import urllib.request
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                    break
                except OSError:
                    time.sleep(0.1)
            body = _json.dumps({"destination": "Ubench", "events": [{
                "type": "message", "mode": "active", "timestamp": 1767225600000, "webhookEventId": "01JBENCH",
                "source": {"type": "user", "userId": "U" + "0" * 32}, "replyToken": "r",
                "deliveryContext": {"isRedelivery": False}, "message": {"type": "text", "id": "1", "text": "料金"}}]}).encode()
            request = (f"POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                       f"x-line-signature: {receiver.signature(secret, body)}\r\nContent-Length: {len(body)}\r\n\r\n"
                       ).encode() + body
            latencies: list[float] = []
            statuses: dict[int, int] = {}

            async def worker(deadline: float) -> None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                while time.perf_counter() < deadline:
                    started = time.perf_counter()
                    writer.write(request)
                    await writer.drain()
                    head = await reader.readuntil(b"\r\n\r\n")
                    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                                      if line.lower().startswith(b"content-length")))
                    await reader.readexactly(length)
                    latencies.append(time.perf_counter() - started)
                    code = int(head.split(b" ")[1])
                    statuses[code] = statuses.get(code, 0) + 1
                writer.close()

            async def main() -> float:
                deadline = time.perf_counter() + seconds
                started = time.perf_counter()
                await asyncio.gather(*(worker(deadline) for _ in range(connections)))
                return time.perf_counter() - started

            elapsed = asyncio.run(main())
            spooled = sum(1 for f in (Path(tmp) / "spool").glob("*.jsonl") for _ in f.open())
        finally:
            proc.terminate()
            proc.wait(10)
    latencies.sort()
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000  # noqa: E731
    line = (f"| {len(latencies) / elapsed:,.0f} | {p(0.5):.1f} | {p(0.99):.1f} | {connections} | {statuses} | "
            f"{spooled:,} of {statuses.get(200, 0):,} |")
    print(f"  webhook: {len(latencies) / elapsed:,.0f} req/s, p50 {p(0.5):.1f} ms, p99 {p(0.99):.1f} ms", flush=True)
    return ("| Requests/s | p50 (ms) | p99 (ms) | Connections | Answers | Spooled lines (fsync'd) |\n"
            "|---:|---:|---:|---:|---|---|\n" + line)
