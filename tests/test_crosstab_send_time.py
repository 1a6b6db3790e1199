"""Issue 15 points 3–4: cross-tab cells equal an independent plain-Python count on the demo, the
Wilson interval, a segment from any cell, and the send-time grid on a journey with known reactions."""
from __future__ import annotations

import datetime as dt
from collections import Counter

import pandas as pd
import pytest

from dashboard.analytics import crosstab, send_time
from dashboard.analytics.metrics import REACTION_TYPES, Period
from dashboard.audience import rules
from dashboard.core import storage
from tests.journeys import Journeys

PERIOD = Period.from_dates(dt.date(2026, 8, 1), dt.date(2026, 10, 31), "Asia/Tokyo")


@pytest.fixture(scope="module")
def demo(demo_db):
    con = storage.connect(demo_db, read_only=True)
    yield con.cursor()
    con.close()


def _friends(cur) -> pd.DataFrame:
    """Friends first added in PERIOD (not sync-only), straight from the base tables."""
    frame = cur.execute("select user_key, followed_at, coalesce(inflow_route, 'unknown') as route, added_by, "
                        "is_following, blocked_at from friends").df()
    frame = frame[(frame["followed_at"] >= PERIOD.start) & (frame["followed_at"] < PERIOD.end)
                  & (frame["added_by"].fillna("") != "sync")]
    interest = dict(cur.execute("select user_key, interest_level from rollup_friend_activity").fetchall())
    frame["interest"] = frame["user_key"].map(interest)
    return frame


def test_blocked_within_30_days_by_route_and_interest_equals_a_plain_count(demo):
    as_of = demo.execute("select as_of from rollup_state where name = 'all'").fetchone()[0]
    friends = _friends(demo)
    blocks: dict[int, list] = {}
    for key, at in demo.execute("select user_key, occurred_at from events where type = 'unfollow'").fetchall():
        blocks.setdefault(key, []).append(at)
    want, hits = Counter(), Counter()
    for row in friends.itertuples():
        if row.followed_at > as_of - dt.timedelta(days=30):
            continue   # not yet 30 days old: cannot be judged
        after = [b for b in blocks.get(row.user_key, []) if b >= row.followed_at]
        if not after and not pd.isna(row.blocked_at):
            after = [row.blocked_at]   # the rollup's fallback: a block known on the friend only
        cell = (row.route, row.interest)
        want[cell] += 1
        hits[cell] += bool(after and min(after) < row.followed_at + dt.timedelta(days=30))
    got = crosstab.cells(demo, PERIOD, rows="route", cols="interest", outcome="blocked_30d")
    assert {(r, c): (n, h) for r, c, n, h in zip(got["row_value"], got["col_value"], got["friends"], got["hits"])} \
        == {cell: (want[cell], hits[cell]) for cell in want}
    assert got["friends"].sum() > 100 and got["hits"].sum() > 0


def test_reacted_in_the_period_by_tag_and_route_equals_a_plain_count(demo):
    friends = _friends(demo).set_index("user_key")
    added = friends["followed_at"].to_dict()   # reactions in the period after the add (the definition)
    reacted = {k for k, t, at in demo.execute("select user_key, type, occurred_at from events").fetchall()
               if t in REACTION_TYPES and PERIOD.start <= at < PERIOD.end and k in added and at >= added[k]}
    tags = demo.execute("select user_key, tag from friend_tags where starts_with(tag, 'interest:')").fetchall()
    by_friend: dict[int, list[str]] = {}
    for key, tag in tags:
        by_friend.setdefault(key, []).append(tag[len("interest:"):])
    want = Counter()
    for key, row in friends.iterrows():
        for value in by_friend.get(key, [crosstab.NONE]):
            want[(value, row.route)] += 1
            want[("hit", value, row.route)] += key in reacted
    got = crosstab.cells(demo, PERIOD, rows="tag", cols="route", outcome="reacted", tag_prefix="interest:")
    for r, c, n, h in zip(got["row_value"], got["col_value"], got["friends"], got["hits"]):
        assert (n, h) == (want[(r, c)], want[("hit", r, c)]), (r, c)
    assert sum(got["friends"]) == sum(v for k, v in want.items() if k[0] != "hit")


def test_still_following_by_crm_band_and_add_month(demo):
    friends = _friends(demo)
    got = crosstab.cells(demo, PERIOD, rows="add_month", cols="crm", outcome="following")
    assert got["friends"].sum() == len(friends)    # one CRM band and one month per friend
    assert got["hits"].sum() == int(friends["is_following"].sum())
    months = {pd.Timestamp(t).tz_convert("Asia/Tokyo").strftime("%Y-%m") for t in friends["followed_at"]}
    assert set(got["row_value"]) == months


def test_one_statement_over_the_dims_rollup_equals_the_steps_over_the_base_tables(demo):
    """crosstab/cells_dims.sql (rollup_friend_dims, schema 10) against the temp-table steps that read
    friends, customers and the activity rollup themselves: every pair of axes that has one at most
    keyed, every outcome, all routes and one route."""
    scenario = crosstab.scenarios(demo)[0]["scenario_id"]
    values = dict(tag_prefix="interest:", attr_key="survey_concern", scenario=scenario)
    as_of = demo.execute("select as_of from rollup_state where name = 'all'").fetchone()[0]
    compared = 0
    for rows in crosstab.DIMENSIONS:
        for cols in crosstab.DIMENSIONS:
            if rows == cols or (rows in crosstab.KEYED and cols in crosstab.KEYED):
                continue
            for outcome in crosstab.OUTCOMES:
                for routes in ([], ["coupon_ad"]):
                    got = crosstab.cells(demo, PERIOD, routes, rows=rows, cols=cols, outcome=outcome, **values)
                    steps = crosstab._cells_in_steps(demo, PERIOD, routes, rows, cols, outcome, values, 30, as_of)
                    key = lambda f: sorted(zip(f["row_value"].fillna(crosstab.NONE).astype(str),  # noqa: E731
                                               f["col_value"].fillna(crosstab.NONE).astype(str),
                                               f["friends"].astype(int), f["hits"].astype(int)))
                    assert key(got) == key(steps), (rows, cols, outcome, routes)
                    compared += int(steps["friends"].sum() > 0)
    assert compared > 300


def test_wilson_interval_and_minimum_count():
    low, high = crosstab.wilson(0, 10)
    assert low == 0 and high == pytest.approx(0.2775, abs=1e-4)
    assert crosstab.wilson(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    assert crosstab.wilson(100, 100)[1] == 1.0


def test_a_segment_can_start_from_any_cell(demo):
    for rows, cols in (("route", "interest"), ("tag", "crm"), ("add_month", "genre"), ("attribute", "route")):
        got = crosstab.cells(demo, PERIOD, rows=rows, cols=cols, outcome="following", tag_prefix="interest:",
                             attr_key="survey_concern")
        for r, c in zip(got["row_value"], got["col_value"]):
            rules.validate(crosstab.cell_rule(rows, r, cols, c, tag_prefix="interest:", attr_key="survey_concern"))


def test_unknown_choices_are_refused(demo):
    with pytest.raises(crosstab.CrosstabError):
        crosstab.cells(demo, PERIOD, rows="route", cols="route", outcome="following")
    with pytest.raises(crosstab.CrosstabError):
        crosstab.cells(demo, PERIOD, rows="route", cols="tag", outcome="following")
    with pytest.raises(crosstab.CrosstabError):
        crosstab.cells(demo, PERIOD, rows="route", cols="interest", outcome="opened")


# ---- when to send ------------------------------------------------------------------------------

@pytest.fixture
def sends(tmp_path):
    j = Journeys(tmp_path / "send_time.duckdb")
    a = j.friend("A", "parcel_qr", "2026-03-01 10:00")
    b = j.friend("B", "parcel_qr", "2026-03-01 11:00")
    c = j.friend("C", "coupon_ad", "2026-03-01 12:00")
    d = j.friend("D", "coupon_ad", "2026-03-01 13:00")
    # Monday 12:00 JST to four: A within 30 min, B at 1 h 59 min, C after 2 h 30 min (too late), D never
    j.delivery("D1", "2026-03-02 12:00", to=["A", "B", "C", "D"], kind="multicast")
    a.click("2026-03-02 12:30", delivery="D1")
    b.postback("2026-03-02 13:59", delivery="D1")
    c.message("2026-03-02 14:30", delivery="D1")
    d.block("2026-03-03 10:00")
    # Monday 12:05 a week later to two: A reacts
    j.delivery("D2", "2026-03-09 12:05", to=["A", "B"], kind="multicast")
    a.click("2026-03-09 12:10", delivery="D2")
    # Wednesday 20:00 broadcast: A, B, C follow (D blocked, E not yet a friend); C reacts
    j.delivery("D3", "2026-03-04 20:00", sent_count=3, kind="broadcast")
    c.message("2026-03-04 20:30", delivery="D3")
    j.friend("E", "parcel_qr", "2026-03-05 09:00")
    j.delivery("T1", "2026-03-03 15:00", to=["A"], kind="test")   # tests never count
    return j


def _cells(frame: pd.DataFrame) -> dict:
    return {(r.weekday, r.hour): (r.deliveries, r.recipients, r.reactors) for r in frame.itertuples()}


def test_the_send_time_grid_counts_known_reactions(sends):
    cur = sends.cursor()
    period = Period.from_dates(dt.date(2026, 3, 1), dt.date(2026, 3, 31), "Asia/Tokyo")
    grid = send_time.grid(cur, period)
    assert _cells(grid) == {(0, 12): (2, 6, 3), (2, 20): (1, 3, 1)}
    assert grid.set_index(["weekday", "hour"]).loc[(0, 12), "rate"] == pytest.approx(0.5)
    parcel = send_time.grid(cur, period, rule={"version": 1, "rule": {"field": "route", "in": ["parcel_qr"]}})
    assert _cells(parcel) == {(0, 12): (2, 4, 3), (2, 20): (1, 2, 0)}


def test_best_windows_say_not_enough_data_when_that_is_true(sends):
    cur = sends.cursor()
    period = Period.from_dates(dt.date(2026, 3, 1), dt.date(2026, 3, 31), "Asia/Tokyo")
    assert send_time.best_windows(send_time.grid(cur, period)).empty   # 6 messages received: too few


def test_best_windows_on_the_demo_rank_by_the_lower_bound(demo):
    grid = send_time.grid(demo, PERIOD)
    best = send_time.best_windows(grid)
    assert not best.empty and list(best["low"]) == sorted(best["low"], reverse=True)
    assert (best["deliveries"] >= send_time.MIN_DELIVERIES).all()
    # every delivery people received at a send time: broadcasts and the demo's scenario steps, not tests
    total = demo.execute("select count(*) from deliveries where status = 'sent' "
                         "and kind not in ('test', 'single', 'reply') "
                         "and sent_at >= $s and sent_at < $e", {"s": PERIOD.start, "e": PERIOD.end}).fetchone()[0]
    assert grid["deliveries"].sum() == total


# ---- the scenario step reached, saved views ----------------------------------------------------

def test_the_scenario_step_reached_equals_a_plain_count(demo):
    scenario = crosstab.scenarios(demo)[0]
    friends = _friends(demo).set_index("user_key")
    enrolled = {k: (status, step) for k, status, step in demo.execute(
        "select user_key, status, step_no from scenario_enrolments where scenario_id = $s",
        {"s": scenario["scenario_id"]}).fetchall()}
    assert enrolled, "the demo enrols friends in its scenarios"
    want = Counter()
    for key, row in friends.iterrows():
        status, step = enrolled.get(key, (None, None))
        value = (crosstab.NONE if status is None else str(step) if status == "completed"
                 else crosstab.ENROLLED if step == 0 else str(step - 1))
        want[(value, row.route)] += 1
        want[("hit", value, row.route)] += bool(row.is_following)
    got = crosstab.cells(demo, PERIOD, rows="scenario", cols="route", outcome="following",
                         scenario=scenario["scenario_id"])
    assert {(r, c): (n, h) for r, c, n, h in zip(got["row_value"], got["col_value"], got["friends"], got["hits"])} \
        == {k: (n, want[("hit", *k)]) for k, n in want.items() if k[0] != "hit"}
    assert len(set(got["row_value"]) - {crosstab.NONE}) >= 2       # friends at different steps
    with pytest.raises(crosstab.CrosstabError):                   # rules have no scenario condition
        crosstab.cell_rule("scenario", "0", "route", "coupon_ad")
    with pytest.raises(crosstab.CrosstabError):
        crosstab.cells(demo, PERIOD, rows="scenario", cols="route", outcome="following")   # which scenario?


def test_saved_views_need_an_operator_are_audited_and_open_the_same_choices(tmp_path):
    from dashboard.access.roles import PermissionDenied, User
    from dashboard.analytics import crosstab_views

    con = storage.connect(tmp_path / "views.duckdb")
    operator, viewer = User("op", "operator", "local"), User("vi", "viewer", "local")
    choice = dict(rows="tag", cols="crm", outcome="purchased", tag_prefix="interest:", attr_key="ignored",
                  days=14, min_count=50, weeks=13)
    with pytest.raises(PermissionDenied):
        crosstab_views.save(con, viewer, "肌荒れ × CRM", choice)
    view_id = crosstab_views.save(con, operator, "肌荒れ × CRM", choice)
    with pytest.raises(crosstab_views.ViewError) as taken:
        crosstab_views.save(con, operator, "肌荒れ × CRM", choice)
    assert taken.value.code == "name_taken"
    with pytest.raises(crosstab.CrosstabError):
        crosstab_views.save(con, operator, "bad", {**choice, "rows": "opened"})
    opened = crosstab_views.get(con.cursor(), name="肌荒れ × CRM")
    assert {k: opened[k] for k in choice} == {**choice, "attr_key": ""}   # a key no axis uses is not kept
    with pytest.raises(PermissionDenied):
        crosstab_views.delete(con, viewer, view_id)
    crosstab_views.delete(con, operator, view_id)
    assert crosstab_views.list_views(con.cursor()).empty
    log = con.execute("select actor, action, object from audit_log order by \"at\"").fetchall()
    assert log == [("op", "crosstab_view.save", f"crosstab_view:{view_id}"),
                   ("op", "crosstab_view.delete", f"crosstab_view:{view_id}")]
    con.close()


def test_the_cross_tab_page_saves_opens_and_deletes_a_view(demo_copy, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from dashboard.analytics import crosstab_views
    from dashboard.core.config import ROOT

    monkeypatch.setenv("DASHBOARD_DB", str(demo_copy))
    monkeypatch.setenv("DASHBOARD_SINGLE_USER", "true")
    at = AppTest.from_file(str(ROOT / "dashboard" / "web" / "navigation.py"), default_timeout=90)
    at.run()
    at.switch_page("../../pages/crosstab.py").run()
    at.selectbox(key="ct_rows.ja").set_value("scenario").run()
    at.selectbox(key="ct_outcome.ja").set_value("following").run()
    assert not at.exception, at.exception
    at.text_input(key="ct_view_name").input("ステップ × 関心度").run()
    at.button(key="ct_view_save").click().run()
    assert not at.exception, at.exception
    assert any("保存しました" in s.value for s in at.success)
    at.selectbox(key="ct_rows.ja").set_value("route").run()
    at.button(key="ct_view_open").click().run()
    assert at.selectbox(key="ct_rows.ja").value == "scenario" and at.selectbox(key="ct_outcome.ja").value == "following"
    assert at.dataframe and len(at.dataframe[0].value) > 0
    at.checkbox(key="ct_view_delete_sure").check().run()
    at.button(key="ct_view_delete").click().run()
    assert not at.exception, at.exception
    con = storage.connect(demo_copy)   # the app's own connection's configuration: this process holds the file
    assert crosstab_views.list_views(con.cursor()).empty
    assert [a for (a,) in con.execute("select action from audit_log where object like 'crosstab_view:%' order by \"at\"")
            .fetchall()] == ["crosstab_view.save", "crosstab_view.delete"]


def test_the_command_line_answers_like_the_page_by_options_scenario_name_or_saved_view(demo_copy, capsys):
    import json

    from dashboard.__main__ import main
    from dashboard.access.roles import User
    from dashboard.analytics import crosstab_views

    con = storage.connect(demo_copy)
    scenario = crosstab.scenarios(con.cursor())[0]
    crosstab_views.save(con, User("op", "operator", "local"), "ステップ × 経路",
                        dict(rows="scenario", cols="route", outcome="following", scenario=scenario["scenario_id"],
                             weeks=13))
    want = crosstab.cells(con.cursor(), Period.from_dates(dt.date(2026, 8, 26), dt.date(2026, 11, 24)), [],
                          rows="scenario", cols="route", outcome="following", scenario=scenario["scenario_id"])
    con.close()
    db = str(demo_copy)
    assert main(["crosstab", "--view", "ステップ × 経路", "--end", "2026-11-24", "--db", db, "--format", "json"]) == 0
    by_view = json.loads(capsys.readouterr().out)
    assert (by_view["start"], by_view["rows"]) == ("2026-08-26", "scenario")          # 13 weeks to --end
    assert [(c["row_value"], c["col_value"], c["friends"], c["hits"]) for c in by_view["cells"]] == \
        list(zip(want["row_value"], want["col_value"], want["friends"], want["hits"]))
    assert main(["crosstab", "--rows", "scenario", "--cols", "route", "--outcome", "following", "--scenario",
                 scenario["name"], "--start", "2026-08-26", "--end", "2026-11-24", "--db", db]) == 0
    assert capsys.readouterr().out.count("\n") == len(want) + 1                      # CSV: a header and the cells
    assert main(["crosstab", "--view", "nope", "--db", db]) == 1
    assert main(["crosstab", "--rows", "route", "--db", db]) == 1                   # no outcome, no view
