"""`python -m dashboard bench --friend-pages [--db PATH]`: issue 15's questions at a given size —
the friend page (search, then one friend's card, tags and whole timeline), a cross-tab and the
send-time grid — timed exactly as the pages ask them, with their default widgets. One warm-up run,
then `repeat` runs; a time is the median. Targets (issue 15, 1,000,000 friends / 30,000,000 events):
friend page ≤ 100 ms, a cross-tab ≤ 300 ms, the send-time grid ≤ 300 ms.
"""
from __future__ import annotations

import os
import platform

import duckdb

from dashboard.analytics import crosstab, rollups, send_time
from dashboard.audience import friend
from dashboard.core import queries, storage
from bench.pages import _median_ms, _period, default_period

queries.require("friend/longest_story")

TARGETS = {"friend": 100, "crosstab": 300, "send_time": 300}
WEEKS = 26   # the first option of the pages' ui.lookback: their default history


def _friend_page(cur, key: int, text: str):
    found = friend.search(cur, text)
    return friend.story(cur, key), len(found)


def bench_friend_pages(db: str, repeat: int = 5) -> str:
    con = storage.connect(db, read_only=True)
    try:
        cur = con.cursor()
        stale = rollups.outdated(cur)
        if stale:   # e.g. rollup_delivery_reactors (issue 15) in a file built before it
            raise SystemExit(f"{db}: rollups {', '.join(stale)} missing or outdated; open the file once read-write "
                             "(python -m dashboard ingest --db PATH, or the dashboard) to rebuild them")
        period = _period(default_period(cur), WEEKS)
        rows = []
        longest = queries.records(cur, "friend/longest_story")   # the widest span of events: the worst case
        keys = [1, 250_000, 500_000, 750_000, *(row["user_key"] for row in longest)]
        for key in keys:
            card = friend.profile(cur, key)
            if card is None:
                continue
            name = (card["display_name"] or "").split()[0] if card["display_name"] else card["user_id"][-8:]
            ms, (story, matches) = _median_ms(lambda: _friend_page(cur, key, name), repeat)
            rows.append(("friend", f"friend {key}: search “{name}” ({matches} shown) + card, tags, timeline "
                                   f"({len(story['timeline'])} rows)", ms))
            ms, _ = _median_ms(lambda: _friend_page(cur, key, card["user_id"][-10:]), repeat)
            rows.append(("friend", f"friend {key}: search by 10 characters of the user ID + the same", ms))
            ms, _ = _median_ms(lambda: _friend_page(cur, key, card["user_id"]), repeat)
            rows.append(("friend", f"friend {key}: search by the whole user ID + the same", ms))
            ms, _ = _median_ms(lambda: friend.story(cur, key), repeat)
            rows.append(("friend", f"friend {key}: card, tags, timeline only", ms))
        ms, _ = _median_ms(lambda: friend.search(cur, "nobody@example.jp"), repeat)
        rows.append(("friend", "search by e-mail address (hash)", ms))
        scenario = next(iter(crosstab.scenarios(cur)), None)
        for label, kwargs in (("route × interest, blocked within 30 days (page default)",
                               dict(rows="route", cols="interest", outcome="blocked_30d")),
                              ("tag interest: × route, reacted in the period",
                               dict(rows="tag", cols="route", outcome="reacted", tag_prefix="interest:")),
                              ("add month × CRM orders, purchased within 30 days",
                               dict(rows="add_month", cols="crm", outcome="purchased")),
                              ("attribute crm_rank × genre, still following",
                               dict(rows="attribute", cols="genre", outcome="following", attr_key="crm_rank")),
                              *((("scenario step reached × route, blocked within 30 days",
                                  dict(rows="scenario", cols="route", outcome="blocked_30d",
                                       scenario=scenario["scenario_id"])),) if scenario else ())):
            ms, frame = _median_ms(lambda: crosstab.cells(cur, period, [], **kwargs), repeat)
            rows.append(("crosstab", f"{label} ({int(frame['friends'].sum()):,} friend-cells)", ms))
        ms, grid = _median_ms(lambda: send_time.grid(cur, period), repeat)
        rows.append(("send_time", f"all friends ({int(grid['deliveries'].sum())} deliveries)", ms))
        audience = {"version": 1, "rule": {"field": "route", "in": ["thanks_page"]}}
        ms, grid = _median_ms(lambda: send_time.grid(cur, period, rule=audience), repeat)
        rows.append(("send_time", "audience: inflow route thanks_page (compose page)", ms))
    finally:
        con.close()
    lines = [f"Issue 15 questions on {os.path.basename(db)}; history {period.first} – {period.last} "
             f"({WEEKS} weeks, the pages' default); median of {repeat} runs after a warm-up; "
             f"{platform.machine()}, {os.cpu_count()} cores, DuckDB {duckdb.__version__}; load average "
             f"{os.getloadavg()[0]:.1f}.", "", "| Page | Question | Median (ms) | Target (ms) |", "|---|---|---:|---:|"]
    for page, label, ms in rows:
        lines.append(f"| {page} | {label} | {ms:,.0f} | ≤ {TARGETS[page]} |")
    return "\n".join(lines)
