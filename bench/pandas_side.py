"""The pandas side of `python -m dashboard bench`: the same questions the way an operator would
answer them without the dashboard — CSV exports read with pandas.read_csv, then group-bys over the
raw frames (no DuckDB, no rollup tables) — and the headline numbers both sides must agree on.
"""
from __future__ import annotations

import datetime as dt
import math
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from dashboard.core import config
from dashboard.analytics import metrics
from bench.pages import PAGES, _period

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
        answers = {fn.__name__: PANDAS[fn.__name__](frames, _period(period, weeks), **kwargs)
                   for fn, kwargs, weeks in calls}
        result["ms"][page] = (time.perf_counter() - started) * 1000
        result["checks"][page] = checks = []
        for name in (fn.__name__ for fn, _, _ in calls):
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
