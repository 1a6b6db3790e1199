"""Step scenarios on a frozen clock: hand-built journeys in a real DuckDB file, the runner's tick
at chosen instants (Asia/Tokyo wall clock), and what it planned in the send ledger."""
from __future__ import annotations

import copy
import json

import pytest

from dashboard.scenarios import enrol, funnel, model, runner, store
from tests.journeys import Journeys

ACTIVATED = "2026-11-30 00:00"
TEXT = [{"type": "text", "text": "ようこそ！"}]


def doc(**over) -> dict:
    base = {"version": 1, "name": "onboarding", "trigger": {"type": "follow"}, "window": "09:00-21:00",
            "overdue": {"grace_minutes": 60, "policy": "skip"}, "refollow": "nothing",
            "steps": [{"name": "welcome", "timing": {"after": {"minutes": 0}}, "messages": TEXT},
                      {"timing": {"after": {"days": 1}}, "messages": [{"type": "text", "text": "2日目"}]},
                      {"timing": {"day": 3, "at": "12:00"}, "messages": [{"type": "text", "text": "3日目"}]}]}
    base.update(over)
    return base


@pytest.fixture
def j(tmp_path, monkeypatch):
    monkeypatch.setenv("DASHBOARD_QUIET_HOURS", "22-8")
    monkeypatch.setenv("DASHBOARD_FREQUENCY_CAP", "0")
    monkeypatch.setenv("DASHBOARD_TIMEZONE", "Asia/Tokyo")
    journeys = Journeys(tmp_path / "scn.duckdb")
    yield journeys
    journeys.con.close()


def active(j, **over) -> model.Scenario:
    scenario = store.save(j.con, doc(**over), "hanako", now=j.at(ACTIVATED))
    store.set_status(j.con, scenario.name, "active", "hanako", now=j.at(ACTIVATED))
    return scenario


def tick(j, when):
    return runner.tick(j.con, now=j.at(when))


def enrolment(j, friend, name="onboarding"):
    return j.con.execute(
        "select e.step_no, e.status, e.next_due_at, e.exit_reason from scenario_enrolments e "
        "join scenarios s using (scenario_id) where s.name = $n and e.user_id = $u",
        {"n": name, "u": j[friend].user_id if isinstance(friend, str) else friend}).fetchone()


def planned(j, step=None) -> list[str]:
    """user_ids in step deliveries' ledgers (of one step, or all), in planning order."""
    return [r[0] for r in j.con.execute(
        "select r.user_id from delivery_recipients r join scenario_deliveries s using (delivery_id) "
        "where $step is null or s.step_no = $step order by s.planned_at, r.user_id", {"step": step}).fetchall()]


def local(value) -> str:
    import zoneinfo

    return value.astimezone(zoneinfo.ZoneInfo("Asia/Tokyo")).strftime("%Y-%m-%d %H:%M")


# ---- timing -----------------------------------------------------------------------------------------

def test_a_follow_at_two_in_the_morning_gets_its_day_0_message_at_nine(j):
    active(j)
    j.friend("Aoi", "store_pop", "2026-12-01 02:00").follow("2026-12-01 02:00")
    report = tick(j, "2026-12-01 02:00:30")
    assert report.enrolled == 1 and report.deliveries == []
    assert local(enrolment(j, "Aoi")[2]) == "2026-12-01 09:00"
    assert tick(j, "2026-12-01 08:59").deliveries == []            # nothing lands in the night
    report = tick(j, "2026-12-01 09:00")
    assert report.planned == {("onboarding", 0): 1} and planned(j, 0) == [j["Aoi"].user_id]
    kind, title, by = j.con.execute("select kind, title, created_by from deliveries").fetchone()
    assert kind == "step" and title == "onboarding #0 welcome" and by == "scenario:onboarding"
    # step 1 is one day after the send, step 2 is day 3 (from the follow's day) at noon
    assert local(enrolment(j, "Aoi")[2]) == "2026-12-02 09:00"
    tick(j, "2026-12-02 09:00")
    assert local(enrolment(j, "Aoi")[2]) == "2026-12-04 12:00"
    tick(j, "2026-12-04 12:00")
    assert enrolment(j, "Aoi")[:2] == (2, "completed") and len(planned(j)) == 3
    assert tick(j, "2026-12-10 12:00").deliveries == []            # completed: nothing more, ever


def test_a_day_based_first_step_for_a_follow_in_the_night_lands_at_its_hour(j):
    active(j, steps=[{"timing": {"day": 0, "at": "09:00"}, "messages": TEXT}])
    j.friend("Aoi", None, "2026-12-01 02:00").follow("2026-12-01 02:00")
    tick(j, "2026-12-01 02:01")
    assert local(enrolment(j, "Aoi")[2]) == "2026-12-01 09:00"


def test_a_late_enrolment_slips_a_day(j):
    active(j, steps=[{"timing": {"day": 0, "at": "12:00"}, "messages": TEXT},
                     {"timing": {"day": 2, "at": "12:00"}, "messages": TEXT}])
    j.friend("Early", None, "2026-12-01 10:00").follow("2026-12-01 10:00")
    tick(j, "2026-12-01 10:01")
    assert local(enrolment(j, "Early")[2]) == "2026-12-01 12:00"
    j.friend("Late", None, "2026-12-01 13:00").follow("2026-12-01 13:00")
    tick(j, "2026-12-01 13:01")
    assert local(enrolment(j, "Late")[2]) == "2026-12-02 12:00"     # 12:00 had passed: the next day
    tick(j, "2026-12-02 12:00")
    assert local(enrolment(j, "Late")[2]) == "2026-12-03 12:00"     # day 2 keeps to the follow's day


def test_an_elapsed_step_ending_in_the_quiet_hours_waits_for_the_window(j):
    active(j, window=None, steps=[{"timing": {"after": {"minutes": 0}}, "messages": TEXT},
                                  {"timing": {"after": {"hours": 2}}, "messages": TEXT}])
    j.friend("Aoi", None, "2026-12-01 21:00").follow("2026-12-01 21:00")
    tick(j, "2026-12-01 21:00")
    assert local(enrolment(j, "Aoi")[2]) == "2026-12-02 08:00"      # 23:00 is quiet (22-8)


# ---- pause and resume ---------------------------------------------------------------------------------

@pytest.mark.parametrize("policy", ["skip", "shift"])
def test_pause_three_days_then_resume_sends_no_burst(j, policy):
    import datetime as dt

    active(j, overdue={"grace_minutes": 60, "policy": policy}, window=None,
           steps=[{"timing": {"after": {"minutes": 0}}, "messages": TEXT}]
           + [{"timing": {"after": {"days": 1}}, "messages": [{"type": "text", "text": f"day {n}"}]} for n in range(1, 6)])
    for n in range(24):   # friends through the day, outside the quiet hours
        when = f"2026-12-01 {8 + n % 14:02d}:{n:02d}"
        j.friend(f"F{n}", None, when).follow(when)
    for hour in range(8, 23):
        tick(j, f"2026-12-01 {hour:02d}:59")
    assert len(planned(j, 0)) == 24
    store.set_status(j.con, "onboarding", "paused", "hanako", now=j.at("2026-12-02 07:00"))
    assert tick(j, "2026-12-03 12:00").deliveries == []             # paused: nothing
    resume_at = j.at("2026-12-05 07:00")                            # three days later
    shown = store.resume_preview(j.con.cursor(), "onboarding", now=resume_at)
    assert shown["now"] == 0 and shown["overdue"] == 24 and shown["policy"] == policy
    store.set_status(j.con, "onboarding", "active", "hanako", now=resume_at)
    assert tick(j, "2026-12-05 07:00").deliveries == []             # the resume dialog was right: none at once
    per_tick = [sum(runner.tick(j.con, now=resume_at + dt.timedelta(hours=h)).planned.values()) for h in range(73)]
    assert sum(per_tick) > 0 and max(per_tick) <= 2                  # spread as the friends came, never a burst
    if policy == "skip":   # the steps due in the pause are left out; each friend's own clock goes on
        assert planned(j, 1) == planned(j, 2) == planned(j, 3) == []
        assert len(planned(j, 4)) == len(planned(j, 5)) == 24
    else:                  # shifted by the pause: every step still comes, in order, a day apart
        assert len(planned(j, 1)) == len(planned(j, 2)) == 24


# ---- exits, re-follows, conditions ----------------------------------------------------------------------

def test_a_friend_who_blocks_mid_scenario_gets_nothing_more(j):
    active(j)
    j.friend("Aoi", None, "2026-12-01 10:00").follow("2026-12-01 10:00")
    j.friend("Ren", None, "2026-12-01 10:00").follow("2026-12-01 10:00")
    tick(j, "2026-12-01 10:00")
    j["Aoi"].block("2026-12-01 18:00")
    tick(j, "2026-12-01 18:01")
    assert enrolment(j, "Aoi")[1:] == ("exited", None, "blocked")
    tick(j, "2026-12-02 10:00")
    tick(j, "2026-12-04 12:00")
    assert planned(j).count(j["Aoi"].user_id) == 1 and planned(j).count(j["Ren"].user_id) == 3


def test_a_block_seen_only_when_the_step_is_due_still_stops_it(j):
    """A block loaded more than a day late (outside the scan window) is caught at the due time."""
    active(j, steps=[{"timing": {"after": {"minutes": 0}}, "messages": TEXT},
                     {"timing": {"after": {"days": 3}}, "messages": TEXT}])
    j.friend("Aoi", None, "2026-12-01 10:00").follow("2026-12-01 10:00")
    tick(j, "2026-12-01 10:00")
    tick(j, "2026-12-03 10:00")      # the scan moved on, nothing due yet
    j["Aoi"].block("2026-12-01 18:00")
    tick(j, "2026-12-04 10:00")
    assert enrolment(j, "Aoi")[1] == "exited" and len(planned(j)) == 1


@pytest.mark.parametrize("policy, expected", [
    ("restart", ({("onboarding", 0): 1}, 1, "2026-12-04 10:00")),   # from the start: step 0 again at once
    ("continue", ({}, 1, "2026-12-04 10:00")),     # the step that was next (1), timed from the re-follow
    ("nothing", None),
])
def test_unblock_with_each_re_follow_policy(j, policy, expected):
    active(j, refollow=policy)
    j.friend("Aoi", None, "2026-12-01 10:00").follow("2026-12-01 10:00")
    tick(j, "2026-12-01 10:00")
    j["Aoi"].block("2026-12-01 18:00")
    tick(j, "2026-12-01 18:01")
    j["Aoi"].follow("2026-12-03 10:00")
    report = tick(j, "2026-12-03 10:00")
    row = enrolment(j, "Aoi")
    if expected is None:
        assert row[1] == "exited" and report.refollowed == 0 and report.deliveries == []
        return
    sent_now, next_step, due = expected
    assert report.refollowed == 1 and report.planned == sent_now
    assert row[:2] == (next_step, "active") and local(row[2]) == due
    tick(j, "2026-12-03 10:05")      # the same re-follow is never applied twice
    assert enrolment(j, "Aoi")[:2] == (next_step, "active") and len(planned(j)) == 1 + len(sent_now)


def test_unblocks_enrol_only_when_the_trigger_says_so(j):
    j.friend("Old", None, "2026-10-01 10:00").follow("2026-10-01 10:00").block("2026-10-05 10:00")
    active(j)
    store.save(j.con, doc(name="also unblocks", trigger={"type": "follow", "unblocks": True}), "hanako",
               now=j.at(ACTIVATED))
    store.set_status(j.con, "also unblocks", "active", "hanako", now=j.at(ACTIVATED))
    j["Old"].follow("2026-12-01 10:00")
    tick(j, "2026-12-01 10:00")
    assert enrolment(j, "Old") is None and enrolment(j, "Old", "also unblocks")[1] == "active"


def test_routes_limit_a_follow_trigger(j):
    active(j, trigger={"type": "follow", "routes": ["store_pop"]})
    j.friend("Pop", "store_pop", "2026-12-01 10:00").follow("2026-12-01 10:00")
    j.friend("Ad", "coupon_ad", "2026-12-01 10:00").follow("2026-12-01 10:00")
    assert tick(j, "2026-12-01 10:00").enrolled == 1 and enrolment(j, "Ad") is None


def test_friends_who_followed_before_activation_are_never_enrolled_by_surprise(j):
    j.friend("Before", None, "2026-11-29 10:00").follow("2026-11-29 10:00")
    active(j)
    assert tick(j, "2026-11-30 10:00").enrolled == 0


def test_a_condition_sends_skips_or_jumps(j):
    vip = {"version": 1, "rule": {"field": "tags", "match": "any", "tags": ["vip"]}}
    coupon = {"version": 1, "rule": {"field": "tags", "match": "any", "tags": ["coupon"]}}
    active(j, window=None, steps=[
        {"timing": {"after": {"minutes": 0}}, "messages": TEXT},
        {"timing": {"after": {"hours": 1}}, "messages": TEXT, "condition": {"rule": vip, "otherwise": "skip"}},
        {"timing": {"after": {"hours": 1}}, "messages": TEXT,
         "condition": {"rule": coupon, "met": {"jump": 4}, "otherwise": "send"}},
        {"timing": {"after": {"hours": 1}}, "messages": TEXT},
        {"timing": {"after": {"hours": 1}}, "messages": TEXT}])
    for name in ("Vip", "Plain", "Coupon"):
        j.friend(name, None, "2026-12-01 10:00").follow("2026-12-01 10:00")
    j.con.execute("insert into friend_tags (user_key, user_id, tag, tagged_at, origin) values "
                  "(1, $a, 'vip', $t, 'manual'), (3, $c, 'coupon', $t, 'manual')",
                  {"a": j["Vip"].user_id, "c": j["Coupon"].user_id, "t": j.at("2026-11-01 00:00")})
    for hour in range(10, 20):
        tick(j, f"2026-12-01 {hour:02d}:00")
    got = {name: sorted(r[0] for r in j.con.execute(
        "select s.step_no from delivery_recipients r join scenario_deliveries s using (delivery_id) "
        "where r.user_id = $u", {"u": j[name].user_id}).fetchall()) for name in ("Vip", "Plain", "Coupon")}
    # Plain: step 1 skipped (not vip). Coupon: step 1 skipped, step 2's condition jumps to step 4.
    assert got == {"Vip": [0, 1, 2, 3, 4], "Plain": [0, 2, 3, 4], "Coupon": [0, 4]}
    assert all(enrolment(j, n)[1] == "completed" for n in ("Vip", "Plain", "Coupon"))


def test_a_tick_plans_a_step_at_a_time_one_delivery_a_round_and_one_step_per_friend(j, monkeypatch):
    monkeypatch.setattr(runner, "CHUNK", 2)     # 5 friends due: rounds of 2, 2 and 1
    active(j, window=None, steps=[{"timing": {"after": {"minutes": 0}}, "messages": [{"type": "text", "text": f"{n}"}]}
                                  for n in range(3)])
    for n in range(5):
        j.friend(f"F{n}", None, "2026-12-01 10:00").follow("2026-12-01 10:00")
    ledgers = lambda ids: j.con.execute(   # noqa: E731
        "select s.step_no, count(*) from delivery_recipients r join scenario_deliveries s using (delivery_id) "
        "where r.delivery_id in (select unnest($ids)) group by s.delivery_id, s.step_no order by 1, 2",
        {"ids": ids}).fetchall()
    for step_no in range(3):   # each step's next one is due at once, and still waits for the next tick
        report = tick(j, f"2026-12-01 10:00:{step_no:02d}")
        assert report.planned == {("onboarding", step_no): 5}
        assert ledgers(report.deliveries) == [(step_no, 1), (step_no, 2), (step_no, 2)]
    assert all(enrolment(j, f"F{n}")[1] == "completed" for n in range(5))
    assert tick(j, "2026-12-01 10:00:03").deliveries == []


def test_a_purchase_or_an_exit_tag_ends_the_run(j):
    active(j, exit={"purchase": True, "tags": ["stop"]})
    for name in ("Buyer", "Tagged", "Stays"):
        j.friend(name, None, "2026-12-01 10:00").follow("2026-12-01 10:00")
    tick(j, "2026-12-01 10:00")
    j["Buyer"].buy("2026-12-01 20:00")
    j.con.execute("insert into friend_tags (user_key, user_id, tag, tagged_at, origin) values (2, $u, 'stop', $t, 'manual')",
                  {"u": j["Tagged"].user_id, "t": j.at("2026-12-01 21:00")})
    report = tick(j, "2026-12-02 10:00")
    assert report.exited == 2 and report.planned == {("onboarding", 1): 1}
    assert enrolment(j, "Buyer")[3] == "converted" and enrolment(j, "Tagged")[3] == "tag"


def test_tag_and_survey_triggers(j):
    active(j, name="tagged", trigger={"type": "tag", "tag": "interest:skincare"})
    active(j, name="survey", trigger={"type": "survey", "question": "concern"})
    j.friend("Aoi", None, "2026-11-01 10:00").follow("2026-11-01 10:00")
    j.friend("Ren", None, "2026-11-01 10:00").follow("2026-11-01 10:00")
    j.con.execute("insert into friend_tags (user_key, user_id, tag, tagged_at, origin) values "
                  "(1, $a, 'interest:skincare', $t, 'rule'), (2, $r, 'concern:肌荒れ', $t, 'survey')",
                  {"a": j["Aoi"].user_id, "r": j["Ren"].user_id, "t": j.at("2026-12-01 10:00")})
    tick(j, "2026-12-01 10:01")
    assert enrolment(j, "Aoi", "tagged")[1] == "active" and enrolment(j, "Ren", "tagged") is None
    assert enrolment(j, "Ren", "survey")[1] == "active" and enrolment(j, "Aoi", "survey") is None


def test_a_segment_trigger_enrols_only_friends_who_newly_match(j):
    from dashboard.audience import saved

    saved.create(j.con, "vip", {"version": 1, "rule": {"field": "tags", "match": "any", "tags": ["vip"]}}, "hanako")
    j.friend("Already", None, "2026-11-01 10:00").follow("2026-11-01 10:00")
    j.friend("Later", None, "2026-11-01 10:00").follow("2026-11-01 10:00")
    j.con.execute("insert into friend_tags (user_key, user_id, tag, tagged_at, origin) values (1, $u, 'vip', $t, 'manual')",
                  {"u": j["Already"].user_id, "t": j.at("2026-11-02 00:00")})
    active(j, trigger={"type": "segment", "segment": "vip"})
    assert tick(j, "2026-11-30 10:00").enrolled == 0                 # members at activation: remembered only
    j.con.execute("insert into friend_tags (user_key, user_id, tag, tagged_at, origin) values (2, $u, 'vip', $t, 'manual')",
                  {"u": j["Later"].user_id, "t": j.at("2026-11-30 11:00")})
    assert tick(j, "2026-11-30 11:01").enrolled == 1 and enrolment(j, "Already") is None


# ---- enrolling existing friends, files ----------------------------------------------------------------

def test_enrolling_a_segment_shows_who_gets_which_step_when_and_the_cost_first(j, monkeypatch):
    from dashboard.audience import saved

    monkeypatch.setenv("DASHBOARD_PLAN", "light")
    for n in range(5):
        j.friend(f"F{n}", None, "2026-11-01 10:00").follow("2026-11-01 10:00")
    j["F4"].block("2026-11-10 10:00")
    saved.create(j.con, "everyone", {"version": 1, "rule": {"field": "following", "value": True}}, "hanako")
    active(j, trigger={"type": "manual"})
    cur = j.con.cursor()
    shown = enrol.preview(cur, "onboarding", "everyone", now=j.at("2026-12-01 07:30"))
    assert shown["friends"] == 4 and shown["messages"] == 12
    assert [local(s["at"]) for s in shown["steps"]] == ["2026-12-01 09:00", "2026-12-02 09:00", "2026-12-04 12:00"]
    assert j.con.execute("select count(*) from scenario_enrolments").fetchone()[0] == 0   # a preview writes nothing
    monkeypatch.setenv("DASHBOARD_PLAN", "standard")
    monkeypatch.setenv("DASHBOARD_PRICE_PER_EXTRA_MESSAGE", "3")
    j.con.execute("insert into line_quota values ($t, 'limited', 40000, 29995)", {"t": j.at("2026-12-01 07:00")})
    shown = enrol.preview(cur, "onboarding", "everyone", now=j.at("2026-12-01 07:30"))
    assert shown["overage"] == 7 and shown["cost_yen"] == 21.0        # 29,995 + 12 - 30,000 free
    done = enrol.enrol(j.con, "onboarding", "everyone", "hanako", now=j.at("2026-12-01 07:30"))
    assert done["enrolled"] == 4
    assert enrol.enrol(j.con, "onboarding", "everyone", "hanako", now=j.at("2026-12-01 08:00"))["enrolled"] == 0
    assert tick(j, "2026-12-01 09:00").planned == {("onboarding", 0): 4}
    assert j.con.execute("select count(*) from audit_log where action = 'scenario.enrol'").fetchone()[0] == 2


def test_a_scenario_file_round_trips_and_bad_ones_say_where(j):
    original = doc(exit={"purchase": True, "conversion": False, "tags": ["stop"], "left_segment": None})
    saved_one = store.save(j.con, original, "hanako")
    exported = store.export(j.con.cursor(), "onboarding")
    assert model.parse(exported) == model.parse(json.dumps(exported, ensure_ascii=False))
    assert [s["timing"] for s in exported["steps"]] == [s["timing"] for s in original["steps"]]
    assert store.save(j.con, exported, "hanako").steps == saved_one.steps
    for change, where in [
        (lambda d: d["steps"][1].update(timing={"after": {"weeks": 1}}), "steps[1].timing"),
        (lambda d: d["steps"][0].update(messages=[{"type": "text", "text": "x" * 5001}]), "steps[0].messages[0].text"),
        (lambda d: d["steps"][1].update(condition={"rule": {"version": 1, "rule": {"field": "nope"}}}),
         "steps[1].condition.rule"),
        (lambda d: d["steps"][2].update(condition={"rule": {"version": 1, "rule": {"field": "following", "value": True}},
                                                   "otherwise": {"jump": 1}}), "steps[2].condition.otherwise"),
        (lambda d: d.update(window="22:30-07:00"), "window"),
        (lambda d: d.update(refollow="sometimes"), "refollow"),
    ]:
        bad = copy.deepcopy(original)
        change(bad)
        with pytest.raises(model.ScenarioError) as err:
            model.parse(bad, (22, 8))
        assert err.value.path.startswith(where), (where, str(err.value))
    store.set_status(j.con, "onboarding", "active", "hanako")
    with pytest.raises(store.StoreError):
        store.save(j.con, original, "hanako")                         # active: pause before replacing steps
    assert [r[0] for r in j.con.execute("select action from audit_log order by \"at\"").fetchall()] == \
        ["scenario.import", "scenario.update", "scenario.active"]


def test_the_funnel_per_step_counts_reactions_blocks_and_purchases(j):
    active(j)
    for name in ("A", "B", "C", "D"):
        j.friend(name, "store_pop" if name < "C" else "coupon_ad", "2026-12-01 10:00").follow("2026-12-01 10:00")
    tick(j, "2026-12-01 10:00")
    j.con.execute("update delivery_recipients set status = 'sent', sent_at = $t", {"t": j.at("2026-12-01 10:00")})
    j["A"].message("2026-12-01 11:00")
    j["B"].block("2026-12-01 12:00")
    j["C"].buy("2026-12-05 12:00")
    j["D"].message("2026-12-03 11:00")     # after 24 h: not a reaction to step 0
    frame = funnel.table(j.con.cursor(), "onboarding")
    row = frame.iloc[0]
    assert (row["sent"], row["reacted"], row["blocked"], row["converted"]) == (4, 1, 1, 1)
    by_route = funnel.table(j.con.cursor(), "onboarding", by_route=True)
    assert dict(zip(by_route["inflow_route"], by_route["blocked"])) == {"coupon_ad": 0, "store_pop": 1}
    assert funnel.worst_step(j.con.cursor(), "onboarding") == 0


def test_a_runner_stopped_for_days_sends_no_burst_when_it_starts_again(j):
    """Downtime is a pause: steps that fell due while nothing ran get the overdue policy (skip:
    each friend's own clock goes on), only those within the grace window go out at once."""
    active(j, window=None, steps=[{"timing": {"after": {"minutes": 0}}, "messages": TEXT}]
           + [{"timing": {"after": {"days": 1}}, "messages": TEXT} for _ in range(5)])
    for n in range(6):
        when = f"2026-12-01 {10 + n:02d}:00"
        j.friend(f"F{n}", None, when).follow(when)
        tick(j, when)
    assert len(planned(j, 0)) == 6
    report = tick(j, "2026-12-04 12:30")       # nothing ran for three days
    # each friend's step 3 falls on 12-04 at their own hour: only the one due at 12:00 is within the 60 minutes
    assert report.skipped == 6 and report.planned == {("onboarding", 3): 1}
    assert planned(j, 1) == planned(j, 2) == []
