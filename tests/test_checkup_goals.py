"""Goals and alerts (issue 16): forecasts on known series, the Overview's numbers as the goals'
current values, the admin-only goal write refused on the server, acknowledge / mute / resolve with
the audit log, and migration 007."""
from __future__ import annotations

import datetime as dt
import json
import shutil
from zoneinfo import ZoneInfo

import pytest

from dashboard.access.roles import PermissionDenied, User
from dashboard.analytics import metrics
from dashboard.checkup import alerts, clock, goals, summary
from dashboard.core import storage

TZ = ZoneInfo("Asia/Tokyo")
ADMIN = User("boss", "admin", "local")
OPERATOR = User("aoi", "operator", "local")
VIEWER = User("ken", "viewer", "local")
DEMO_NOW = dt.datetime(2026, 11, 24, 12, tzinfo=TZ)     # the test demo's data ends 2026-11-24 00:00


def _weekly(values, last=dt.date(2026, 11, 23)):
    return [(last - dt.timedelta(days=7 * (len(values) - 1 - i)), v) for i, v in enumerate(values)]


# ---- forecasts on known series ------------------------------------------------------------------

def test_a_straight_line_is_fitted_exactly():
    a, b = goals.fit_line([(0.0, 10.0), (7.0, 24.0), (14.0, 38.0)])
    assert (a, b) == pytest.approx((10.0, 2.0))
    assert goals.fit_line([(0.0, 1.0), (7.0, 2.0)]) is None            # fewer than MIN_POINTS
    assert goals.fit_line([(3.0, 1.0), (3.0, 2.0), (3.0, 5.0)]) is None


def test_a_steady_climb_reaches_the_target_on_time():
    """+100 friends a week for 8 weeks: 4 weeks after the last one the line says +400."""
    history = _weekly([1000 + 100 * k for k in range(9)])            # 1,000 … 1,800
    due = history[-1][0] + dt.timedelta(days=28)
    on = goals.assess("friends", 2200, due, 1000, history)
    assert on.state == "on_track" and on.forecast == pytest.approx(2200) and on.trend_per_week == pytest.approx(100)
    assert on.pace_needed == pytest.approx(100) and on.progress == pytest.approx(0.8 / 1.2)
    off = goals.assess("friends", 2300, due, 1000, history)
    assert off.state == "off_track" and off.pace_needed == pytest.approx(125)


def test_lower_is_better_for_the_block_rate():
    falling = _weekly([0.20 - 0.01 * k for k in range(9)])           # 20 % down to 12 %
    due = falling[-1][0] + dt.timedelta(days=21)
    g = goals.assess("block_rate", 0.10, due, 0.20, falling)
    assert g.state == "on_track" and g.forecast == pytest.approx(0.09)
    assert g.trend_per_week == pytest.approx(-0.01) and g.pace_needed == pytest.approx(-0.02 / 3)
    assert goals.assess("block_rate", 0.13, due, 0.20, falling).state == "reached"
    rising = _weekly([0.10 + 0.01 * k for k in range(9)])
    assert goals.assess("block_rate", 0.10, due, 0.10, rising).state == "off_track"


def test_short_history_and_a_passed_date():
    short = _weekly([None] * 7 + [50, 60])
    assert goals.assess("purchases", 100, short[-1][0] + dt.timedelta(days=30), 50, short).state == "no_forecast"
    history = _weekly([50 + k for k in range(9)])
    assert goals.assess("purchases", 100, history[-1][0], 50, history).state == "missed"


# ---- goals on the demo account -------------------------------------------------------------------

@pytest.fixture
def con(demo_copy):
    c = storage.connect(demo_copy)
    yield c
    c.close()


def _audit(con, action):
    return con.execute("select actor, object, detail from audit_log where action = $a order by \"at\"",
                       {"a": action}).fetchall()


def test_a_goals_current_value_is_the_overviews(con):
    day = clock.as_of_day(con.cursor(), now=DEMO_NOW)[1]
    assert day == dt.date(2026, 11, 23)                             # the last day with data
    goals.set_goal(con, ADMIN, "active_friends", 5000, dt.date(2027, 3, 31), now=DEMO_NOW)
    goals.set_goal(con, ADMIN, "reactions_per_delivery", 0.2, dt.date(2027, 3, 31), now=DEMO_NOW)
    found = {g.kpi: g for g in goals.statuses(con.cursor(), now=DEMO_NOW)}
    overview = metrics.overview_kpis(con, metrics.Period.from_dates(day - dt.timedelta(days=27), day))["kpis"]
    assert found["active_friends"].current == overview["active_friends"]["value"]
    assert found["reactions_per_delivery"].current == pytest.approx(overview["reactions_per_delivery"]["value"])
    assert found["active_friends"].baseline == overview["active_friends"]["value"]
    assert found["active_friends"].points == goals.TREND_WEEKS + 1 and found["active_friends"].forecast is not None


def test_only_an_admin_sets_a_goal_checked_on_the_server(con):
    for who in (OPERATOR, VIEWER, None):
        with pytest.raises(PermissionDenied):
            goals.set_goal(con, who, "friends", 5000, dt.date(2027, 3, 31), now=DEMO_NOW)
    assert goals.listing(con.cursor()).empty and _audit(con, "goal.set") == []
    goals.set_goal(con, ADMIN, "friends", 5000, dt.date(2027, 3, 31), now=DEMO_NOW)
    with pytest.raises(PermissionDenied):
        goals.clear_goal(con, OPERATOR, "friends", now=DEMO_NOW)
    assert len(goals.listing(con.cursor())) == 1
    (actor, kpi, detail), = _audit(con, "goal.set")
    assert (actor, kpi) == ("boss", "friends") and json.loads(detail)["target"] == 5000
    goals.set_goal(con, ADMIN, "friends", 6000, dt.date(2027, 6, 30), now=DEMO_NOW)
    assert json.loads(_audit(con, "goal.set")[-1][2])["previous"] == {"target": 5000.0, "due_on": "2027-03-31"}
    assert goals.clear_goal(con, ADMIN, "friends", now=DEMO_NOW) and _audit(con, "goal.clear")[0][:2] == ("boss", "friends")
    assert goals.listing(con.cursor()).empty


@pytest.mark.parametrize("kpi, target, due, code", [
    ("followers", 1, dt.date(2027, 1, 1), "unknown_kpi"), ("friends", -1, dt.date(2027, 1, 1), "not_a_number"),
    ("friends", "many", dt.date(2027, 1, 1), "not_a_number"), ("block_rate", 5, dt.date(2027, 1, 1), "rate_range"),
    ("friends", 10.5, dt.date(2027, 1, 1), "whole_number"), ("friends", 10, dt.date(2026, 11, 1), "due_in_past"),
])
def test_a_bad_goal_is_refused_with_its_reason(con, kpi, target, due, code):
    with pytest.raises(goals.GoalError) as err:
        goals.set_goal(con, ADMIN, kpi, target, due, now=DEMO_NOW)
    assert err.value.code == code and goals.listing(con.cursor()).empty


# ---- alerts: raised, kept, acknowledged, muted, resolved ----------------------------------------

def test_alerts_are_raised_kept_and_resolved(con, monkeypatch):
    found = alerts.check(con, now=DEMO_NOW)
    rules_seen = {f.rule for f in found}
    assert {"promotion_share", "route_blocks", "heavy_receivers"} <= rules_seen     # the demo's lessons
    first = {(a.rule, a.subject): a.alert_id for a in alerts.live(con.cursor())}
    alerts.check(con, now=DEMO_NOW + dt.timedelta(minutes=10))
    assert {(a.rule, a.subject): a.alert_id for a in alerts.live(con.cursor())} == first    # the same alerts
    monkeypatch.setenv("DASHBOARD_ALERT_PROMOTION_SHARE", "99")
    alerts.check(con, now=DEMO_NOW + dt.timedelta(minutes=20))
    assert ("promotion_share", "") not in {(a.rule, a.subject) for a in alerts.live(con.cursor())}
    status = con.execute("select status, resolved_at is not null from alerts where alert_id = $a",
                         {"a": first[("promotion_share", "")]}).fetchone()
    assert status == ("resolved", True)
    monkeypatch.delenv("DASHBOARD_ALERT_PROMOTION_SHARE")
    alerts.check(con, now=DEMO_NOW + dt.timedelta(minutes=30))
    again = {(a.rule, a.subject): a.alert_id for a in alerts.live(con.cursor())}
    assert again[("promotion_share", "")] != first[("promotion_share", "")]           # a new alert
    assert alerts.last_check(con.cursor())["checked_at"] == DEMO_NOW + dt.timedelta(minutes=30)


def test_acknowledge_and_mute_are_operators_and_audited(con):
    alerts.check(con, now=DEMO_NOW)
    one, two = alerts.open_alerts(con.cursor(), DEMO_NOW)[:2]
    with pytest.raises(PermissionDenied):
        alerts.acknowledge(con, VIEWER, one.alert_id, now=DEMO_NOW)
    assert alerts.acknowledge(con, OPERATOR, one.alert_id, now=DEMO_NOW).status == "acknowledged"
    muted = alerts.mute(con, OPERATOR, two.alert_id, 7, now=DEMO_NOW)
    assert muted.status == "muted" and muted.muted_until == DEMO_NOW + dt.timedelta(days=7)
    with pytest.raises(alerts.AlertError):
        alerts.mute(con, OPERATOR, two.alert_id, 3, now=DEMO_NOW)                  # 1, 7 or 30 days
    opened = {a.alert_id for a in alerts.open_alerts(con.cursor(), DEMO_NOW + dt.timedelta(days=1))}
    assert one.alert_id not in opened and two.alert_id not in opened
    assert two.alert_id in {a.alert_id for a in alerts.open_alerts(con.cursor(), DEMO_NOW + dt.timedelta(days=8))}
    alerts.check(con, now=DEMO_NOW + dt.timedelta(days=8))                          # still seen: open again
    assert {a.alert_id: a.status for a in alerts.live(con.cursor())}[two.alert_id] == "open"
    assert [a[0] for a in _audit(con, "alert.acknowledge")] == ["aoi"]
    assert json.loads(_audit(con, "alert.mute")[0][2])["rule"] == two.rule


def test_the_weekly_summary_names_three_things_to_do(con):
    alerts.check(con, now=DEMO_NOW)
    first = alerts.open_alerts(con.cursor(), DEMO_NOW)[0]
    alerts.acknowledge(con, OPERATOR, first.alert_id, now=DEMO_NOW)
    s = summary.weekly(con.cursor(), now=DEMO_NOW)
    assert len(s.next_actions) == 3 and (first.rule, first.subject) not in {(x.rule, x.subject) for x in s.next_actions}
    urgencies = [alerts.rules.RULES[x.rule][1] for x in s.signs]
    assert urgencies == sorted(urgencies)


# ---- migration 007 ------------------------------------------------------------------------------

def test_migration_007_adds_the_goals_and_alerts(tmp_path):
    """On a file at the version before it. 006 belongs to another change (issue 10's scenarios); when it
    is not in this tree yet, an empty step stands in for it so that 007 itself is what is tested."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    for path in storage.migrations().values():
        if int(path.name[:3]) < 7:
            shutil.copy(path, folder / path.name)
    if not any(p.name.startswith("006_") for p in folder.iterdir()):
        (folder / "006_not_in_this_tree.sql").write_text("select 1;\n", encoding="utf-8")
    old = tmp_path / "v6.duckdb"
    storage.connect(old, migrations_dir=folder).close()
    import duckdb

    raw = duckdb.connect(str(old))
    for table in ("goals", "alerts", "alert_checks"):
        raw.execute(f"drop table {table}")
    raw.close()
    shutil.copy(storage.MIGRATIONS_DIR / "007_goals_alerts.sql", folder / "007_goals_alerts.sql")
    con = storage.connect(old, migrations_dir=folder)
    assert storage.schema_version(con) == 7
    tables = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
    assert {"goals", "alerts", "alert_checks"} <= tables
    con.close()


# ---- the weekly report --------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_report_says_what_to_do_next_in_markdown_and_html(con, lang):
    import re

    from dashboard.analytics import report

    goals.set_goal(con, ADMIN, "friends", 5000, dt.date(2027, 3, 31), now=DEMO_NOW)
    period = metrics.Period.from_dates(dt.date(2026, 10, 27), dt.date(2026, 11, 23))
    kpis = metrics.overview_kpis(con, period)
    s = summary.weekly(con.cursor(), now=DEMO_NOW)
    md = report.render(kpis, period, "markdown", lang=lang, summary=s)
    heading = "次にやること（3つ）" if lang == "ja" else "What to do next (three things)"
    assert f"## {heading}" in md and md.count("\n1. ") == 1 and "\n3. " in md
    assert ("友だち数（累計）" if lang == "ja" else "Friends (all time)") in md.split("##")[-2]
    page = report.render(kpis, period, "html", lang=lang, summary=s, rpd=metrics.reactions_per_delivery(con, period))
    assert page.startswith("<!DOCTYPE html>") and page.count("<svg") == 2 and heading in page
    assert not re.search(r"<script|<link|src=|https?://(?!www\.w3\.org/2000/svg)", page)   # nothing to fetch
    data = json.loads(report.render(kpis, period, "json", lang=lang, summary=s))
    assert [a["rule"] for a in data["health"]["next_actions"]] == [x.rule for x in s.next_actions]
    assert data["kpis"] == json.loads(json.dumps(kpis["kpis"], default=str))
