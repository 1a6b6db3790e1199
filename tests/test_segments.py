"""Segment rules: the compiled query's members equal a plain Python evaluation of the same rule
(property-based, random rule trees), odd and hostile values, invalid rules, saved segments, CLI.
"""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard.audience import rules, running, saved
from dashboard.analytics import demo, rollups
from dashboard.core import storage

ROOT = Path(__file__).resolve().parent.parent
TOKYO = ZoneInfo("Asia/Tokyo")
END = dt.datetime(2026, 11, 24, tzinfo=TOKYO)
ODD = ["O'Reilly", 'say "hi"', "x'; drop table friends; --", "a;b", "肌荒れが気になる", "🎉", "", "%", "_", "\\"]
REACTIONS = list(rules.REACTION_TYPES)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A small demo account plus what the demo lacks: a send ledger, numeric and odd attributes,
    odd tags, a customer with no orders."""
    path = tmp_path_factory.mktemp("seg") / "seg.duckdb"
    demo.build(path, friends=400, seed=3, days=90, end=END.date(), tz="Asia/Tokyo", progress=lambda *_: None)
    con = storage.connect(path, timezone="Asia/Tokyo")
    users = [r[0] for r in con.execute("select user_id from friends order by user_key").fetchall()]
    con.execute("insert into deliveries (delivery_id, kind, status, sent_count, sent_at) values "
                "('m1', 'multicast', 'sent', 60, $t), ('m2', 'multicast', 'sent', 30, $t2)",
                {"t": END - dt.timedelta(days=3), "t2": END - dt.timedelta(days=20)})
    for i, user in enumerate(users[:90]):
        delivery = "m1" if i < 60 else "m2"
        con.execute("insert into delivery_recipients (delivery_id, user_id, batch_no, retry_key, status, sent_at) "
                    "values ($d, $u, 0, 'k', $s, $t)",
                    {"d": delivery, "u": user, "s": "sent" if i % 7 else "failed",
                     "t": END - dt.timedelta(days=3 if delivery == "m1" else 20)})
    for i, user in enumerate(users[::3]):
        con.execute("insert or replace into friend_attributes (user_key, user_id, key, value, updated_at) "
                    "select user_key, $u, 'age', $v, $t from friends where user_id = $u",
                    {"u": user, "v": str(18 + i % 50), "t": END})
        con.execute("insert or replace into friend_tags (user_key, user_id, tag, tagged_at, origin) "
                    "select user_key, $u, $tag, $t, 'manual' from friends where user_id = $u",
                    {"u": user, "tag": ODD[i % len(ODD)] or "empty", "t": END})
    for i, user in enumerate(users[1::5]):
        con.execute("insert or replace into friend_attributes (user_key, user_id, key, value, updated_at) "
                    "select user_key, $u, 'note', $v, $t from friends where user_id = $u",
                    {"u": user, "v": ODD[i % len(ODD)], "t": END})
    rollups.refresh(con, as_of=END)
    yield con, _snapshot(con)
    con.close()


def _snapshot(con) -> dict:
    """Every table the rules read, as plain Python data."""
    q = lambda sql: con.execute(sql).fetchall()  # noqa: E731
    return {
        "friends": q("select user_key, user_id, followed_at, last_followed_at, blocked_at, inflow_route, customer_id from friends"),
        "events": q("select user_key, type, occurred_at, delivery_id, detail from events"),
        "tags": q("select user_id, tag from friend_tags"),
        "attrs": q("select user_id, key, value from friend_attributes"),
        "customers": {r[0]: (r[1], float(r[2])) for r in q("select customer_id, orders, revenue from customers")},
        "ledger": q("select user_id, status, sent_at from delivery_recipients"),
        "broadcasts": [r[0] for r in q("select sent_at from deliveries where kind = 'broadcast' and status = 'sent'")],
        "choices": {
            "route": sorted({r[0] for r in q("select inflow_route from friends where inflow_route is not null")}),
            "tag": sorted({r[0] for r in q("select tag from friend_tags")}),
            "area": sorted({r[0] for r in q("select detail from events where type = 'richmenu_tap'")}),
            "category": sorted({r[0] for r in q("select detail from events where type = 'purchase'")}),
            "delivery": sorted({r[0] for r in q("select delivery_id from events where type = 'link_click' and delivery_id is not null")}),
        },
    }


# ---- the reference: the same rules, evaluated in plain Python ---------------------------------

class Reference:
    def __init__(self, data: dict, as_of: dt.datetime, hot=8, warm=1, dormant=90):
        self.d, self.as_of = data, as_of
        self.events = defaultdict(list)
        for user_key, kind, at, delivery, detail in data["events"]:
            self.events[user_key].append((kind, at, delivery, detail))
        self.tags = defaultdict(set)
        for user_id, tag in data["tags"]:
            self.tags[user_id].add(tag)
        self.attrs = defaultdict(dict)
        for user_id, key, value in data["attrs"]:
            self.attrs[user_id][key] = value
        self.ledger = defaultdict(list)
        for user_id, status, sent_at in data["ledger"]:
            self.ledger[user_id].append((status, sent_at))
        self.hot, self.warm, self.dormant = hot, warm, dormant

    def following_at(self, f, t) -> bool:
        _, _, followed, last, blocked, _, _ = f
        return followed < t and (blocked is None or blocked >= t or (last is not None and last > blocked and last < t))

    def window(self, days):
        return self.as_of - dt.timedelta(days=days), self.as_of

    def count(self, f, types, days, detail=None, delivery=None) -> int:
        lo, hi = self.window(days)
        return sum(1 for kind, at, dl, de in self.events[f[0]]
                   if kind in types and lo <= at < hi and (detail is None or de == detail)
                   and (delivery is None or dl == delivery))

    def interest(self, f) -> str:
        r30 = self.count(f, REACTIONS, 30)
        if r30 >= self.hot:
            return "hot"
        if r30 >= self.warm:
            return "warm"
        last = max((at for kind, at, _, _ in self.events[f[0]] if kind in REACTIONS and at < self.as_of), default=None)
        if last is None or last < self.as_of - dt.timedelta(days=self.dormant):
            return "dormant"
        return "cold"

    def genre(self, f) -> str | None:
        score = Counter()
        for kind, at, _, detail in self.events[f[0]]:
            if kind in ("purchase", "conversion") and detail is not None and at < self.as_of:
                score[detail] += 3
        for tag in self.tags[f[1]]:
            if tag.startswith("interest:") and len(tag) > 9:
                score[tag[9:]] += 2
        if not score:
            return None
        return sorted(score.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]

    def test(self, node, f) -> bool:
        if "all" in node:
            return all(self.test(n, f) for n in node["all"])
        if "any" in node:
            return any(self.test(n, f) for n in node["any"])
        if "not" in node:
            return not self.test(node["not"], f)
        user_key, user_id, followed, _, _, route, customer = f
        field = node["field"]
        if field == "following":
            return self.following_at(f, self.as_of) == node.get("value", True)
        if field == "followed":
            return self.as_of - dt.timedelta(days=node["within_days"]) <= followed < self.as_of
        if field == "route":
            return route in node["in"]
        if field == "tags":
            has = self.tags[user_id] & set(node["tags"])
            return {"any": bool(has), "all": has == set(node["tags"]), "none": not has}[node.get("match", "any")]
        if field == "attribute":
            value = self.attrs[user_id].get(node["key"])
            if value is None:
                return False
            op, want = node.get("op", "eq"), node["value"]
            if op == "eq":
                return value == want
            if op == "ne":
                return value != want
            if op == "in":
                return value in want
            if op == "contains":
                return want.lower() in value.lower()
            try:
                number = float(value)
            except ValueError:
                return False
            return {"lt": number < want, "le": number <= want, "gt": number > want, "ge": number >= want}[op]
        if field == "customer":
            return (customer is not None) == node.get("linked", True)
        if field == "purchased":
            return self.count(f, ("purchase", "conversion"), node["within_days"], detail=node.get("category")) > 0
        if field == "never_purchased":
            bought = any(kind in ("purchase", "conversion") and at < self.as_of for kind, at, _, _ in self.events[user_key])
            orders = self.d["customers"].get(customer, (0, 0))[0] if customer else 0
            return not bought and not orders > 0
        if field in ("orders", "revenue"):
            if customer not in self.d["customers"]:
                return False
            value = self.d["customers"][customer][0 if field == "orders" else 1]
            return node.get("min", float("-inf")) <= value <= node.get("max", float("inf"))
        if field == "reactions":
            types = REACTIONS if node.get("type", "any") == "any" else [node["type"]]
            return self.count(f, types, node["within_days"]) >= node["min"]
        if field == "richmenu_tap":
            return self.count(f, ("richmenu_tap",), node["within_days"], detail=node["area"]) > 0
        if field == "clicked":
            return any(kind == "link_click" and dl == node["delivery_id"] and at < self.as_of
                       for kind, at, dl, _ in self.events[user_key])
        if field == "received":
            lo, hi = self.window(node["within_days"])
            got = sum(1 for status, at in self.ledger[user_id] if status == "sent" and lo <= at < hi)
            got += sum(1 for at in self.d["broadcasts"] if lo <= at < hi and self.following_at(f, at))
            return got >= node["min"]
        if field == "interest":
            return self.interest(f) in node["in"]
        if field == "genre":
            return self.genre(f) in node["in"]
        raise AssertionError(field)

    def members(self, rule) -> set[str]:
        return {f[1] for f in self.d["friends"] if f[2] < self.as_of and self.test(rule["rule"], f)}


def sql_members(con, rule, as_of=END, use_rollup=True) -> set[str]:
    compiled = rules.compile_rule(rule, as_of, use_rollup=use_rollup, tz="Asia/Tokyo")
    return {r[1] for r in con.execute(compiled.sql, compiled.params).fetchall()}


# ---- random rules ---------------------------------------------------------------------------

def conditions(choices):
    pick = lambda kind: st.sampled_from(choices[kind] + ODD[:3])  # noqa: E731  real values and odd ones
    days = st.sampled_from([1, 7, 14, 30, 45, 90, 365])
    return st.one_of(
        st.builds(lambda v: {"field": "following", "value": v}, st.booleans()),
        st.builds(lambda d: {"field": "followed", "within_days": d}, days),
        st.builds(lambda r: {"field": "route", "in": r}, st.lists(pick("route"), min_size=1, max_size=3)),
        st.builds(lambda m, tg: {"field": "tags", "match": m, "tags": tg},
                  st.sampled_from(["any", "all", "none"]), st.lists(pick("tag"), min_size=1, max_size=3)),
        st.builds(lambda k, op, v: {"field": "attribute", "key": k, "op": op, "value": v},
                  st.sampled_from(["survey_concern", "note", "crm_rank"]), st.sampled_from(["eq", "ne", "contains"]),
                  st.sampled_from(ODD + ["最近疲れやすい", "gold", "肌"])),
        st.builds(lambda v: {"field": "attribute", "key": "note", "op": "in", "value": v},
                  st.lists(st.sampled_from(ODD), min_size=1, max_size=3)),
        st.builds(lambda op, v: {"field": "attribute", "key": "age", "op": op, "value": v},
                  st.sampled_from(["lt", "le", "gt", "ge"]), st.integers(10, 70)),
        st.builds(lambda v: {"field": "customer", "linked": v}, st.booleans()),
        st.builds(lambda d: {"field": "purchased", "within_days": d}, days),
        st.builds(lambda d, c: {"field": "purchased", "within_days": d, "category": c}, days, pick("category")),
        st.just({"field": "never_purchased"}),
        st.builds(lambda a, b: {"field": "orders", "min": a, "max": a + b}, st.integers(0, 4), st.integers(0, 3)),
        st.builds(lambda a: {"field": "revenue", "min": a}, st.sampled_from([0, 3000, 10000, 30000])),
        st.builds(lambda ty, k, d: {"field": "reactions", "type": ty, "min": k, "within_days": d},
                  st.sampled_from(["any", *REACTIONS]), st.integers(1, 12), days),
        st.builds(lambda a, d: {"field": "richmenu_tap", "area": a, "within_days": d}, pick("area"), days),
        st.builds(lambda dl: {"field": "clicked", "delivery_id": dl}, pick("delivery")),
        st.builds(lambda k, d: {"field": "received", "min": k, "within_days": d}, st.integers(1, 6), days),
        st.builds(lambda lv: {"field": "interest", "in": lv},
                  st.lists(st.sampled_from(list(rules.INTEREST_LEVELS)), min_size=1, max_size=2, unique=True)),
        st.builds(lambda g: {"field": "genre", "in": g},
                  st.lists(st.sampled_from(["skincare", "supplement", "sleep", "diet", "x'--"]), min_size=1, max_size=2)),
    )


def trees(choices):
    return st.recursive(
        conditions(choices),
        lambda inner: st.one_of(
            st.builds(lambda xs: {"all": xs}, st.lists(inner, min_size=1, max_size=3)),
            st.builds(lambda xs: {"any": xs}, st.lists(inner, min_size=1, max_size=3)),
            st.builds(lambda x: {"not": x}, inner)),
        max_leaves=6)


@pytest.fixture(scope="module")
def reference(world):
    con, data = world
    return Reference(data, END)


def test_property_compiled_query_equals_python_evaluation(world, reference):
    con, data = world

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
    @given(trees(data["choices"]))
    def check(tree):
        rule = {"version": 1, "rule": tree}
        assert sql_members(con, rule) == reference.members(rule), json.dumps(tree, ensure_ascii=False)

    check()


def test_property_without_rollups_at_another_time(world):
    """The slow path (events only) at an earlier as_of agrees with Python too."""
    con, data = world
    earlier = END - dt.timedelta(days=10)
    ref = Reference(data, earlier)

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
    @given(trees(data["choices"]).filter(lambda tr: "'interest'" not in str(tr) and "'genre'" not in str(tr)))
    def check(tree):
        rule = {"version": 1, "rule": tree}
        assert sql_members(con, rule, earlier, use_rollup=False) == ref.members(rule)

    check()


def test_every_field_selects_someone_and_not_everyone(world, reference):
    """Guard against a property test that passes because every rule is empty."""
    con, data = world
    c = data["choices"]
    samples = [{"field": "route", "in": [c["route"][0]]}, {"field": "tags", "tags": [c["tag"][0]]},
               {"field": "interest", "in": ["hot"]}, {"field": "genre", "in": ["skincare"]},
               {"field": "reactions", "min": 1, "within_days": 30}, {"field": "received", "min": 1, "within_days": 7},
               {"field": "purchased", "within_days": 90}, {"field": "richmenu_tap", "area": "料金", "within_days": 30},
               {"field": "attribute", "key": "age", "op": "ge", "value": 40}, {"field": "customer"}]
    total = len(data["friends"])
    for cond in samples:
        got = sql_members(con, {"version": 1, "rule": cond})
        assert 0 < len(got) < total, cond


@pytest.mark.parametrize("value", ODD)
def test_hostile_and_odd_values_are_bound_not_executed(world, reference, value):
    con, _ = world
    for cond in ({"field": "route", "in": [value]}, {"field": "tags", "match": "any", "tags": [value or "empty"]},
                 {"field": "attribute", "key": "note", "op": "eq", "value": value},
                 {"field": "attribute", "key": value, "op": "contains", "value": value},
                 {"field": "clicked", "delivery_id": value}, {"field": "genre", "in": [value]}):
        rule = {"version": 1, "rule": cond}
        assert sql_members(con, rule) == reference.members(rule)
    assert con.execute("select count(*) from friends").fetchone()[0] == 400


@pytest.mark.parametrize("rule, message", [
    ({"version": 2, "rule": {"field": "route", "in": ["a"]}}, "version: must be 1"),
    ({"version": 1}, "exactly 'version' and 'rule'"),
    ({"version": 1, "rule": {"field": "colour", "in": ["a"]}}, "rule: unknown field 'colour'"),
    ({"version": 1, "rule": {"all": [{"field": "route", "in": []}]}}, "rule.all[0] (field 'route'): 'in' must be a non-empty list"),
    ({"version": 1, "rule": {"all": [{"field": "route", "in": ["a"]}, {"any": [{"field": "tags", "match": "some", "tags": ["a"]}]}]}},
     "rule.all[1].any[0] (field 'tags'): 'match' must be one of any, all, none"),
    ({"version": 1, "rule": {"not": {"field": "reactions", "min": 0, "within_days": 30}}},
     "rule.not (field 'reactions'): 'min' must be between 1"),
    ({"version": 1, "rule": {"field": "reactions", "min": 1, "within_days": 30, "type": "open"}}, "'type' must be any or one of"),
    ({"version": 1, "rule": {"field": "attribute", "key": "age", "op": "gt", "value": "ten"}}, "'value' must be a number"),
    ({"version": 1, "rule": {"field": "followed", "from": "2026-02-01", "to": "2026-01-01"}}, "'to' (2026-01-01) is before"),
    ({"version": 1, "rule": {"field": "interest", "in": ["lukewarm"]}}, "unknown value(s) ['lukewarm']"),
    ({"version": 1, "rule": {"all": []}}, "rule.all: must be a non-empty list"),
    ({"version": 1, "rule": {"all": [{"field": "route", "in": ["a"]}], "any": []}}, "exactly one key"),
    ({"version": 1, "rule": {"field": "route", "in": ["a"], "extra": 1}}, "unknown key(s) ['extra']"),
    ({"version": 1, "rule": {"field": "orders"}}, "needs 'min', 'max' or both"),
    ('{"version": 1, "rule": ', "is not valid JSON"),
])
def test_invalid_rules_are_refused_naming_the_condition(rule, message):
    with pytest.raises(rules.RuleError) as info:
        rules.validate(rule)
    assert message in str(info.value)


def test_too_deep_or_too_large_rules_are_refused():
    deep = {"field": "customer"}
    for _ in range(rules.MAX_DEPTH + 1):
        deep = {"not": deep}
    with pytest.raises(rules.RuleError, match="nest deeper"):
        rules.validate({"version": 1, "rule": deep})
    wide = {"any": [{"field": "customer"}] * (rules.MAX_CONDITIONS + 1)}
    with pytest.raises(rules.RuleError, match="at most"):
        rules.validate({"version": 1, "rule": wide})


def test_interest_is_only_known_as_of_the_rollup():
    with pytest.raises(rules.RuleError, match="only as of the last rollup"):
        rules.compile_rule({"version": 1, "rule": {"field": "interest", "in": ["hot"]}}, END, use_rollup=False)


def test_the_issue_example_and_saved_segments(world, reference):
    """Hot or warm friends interested in skincare, from the thanks page, who bought nothing in 90 days."""
    con, _ = world
    rule = {"version": 1, "rule": {"all": [
        {"field": "interest", "in": ["hot", "warm"]}, {"field": "genre", "in": ["skincare"]},
        {"field": "route", "in": ["thanks_page"]}, {"not": {"field": "purchased", "within_days": 90}}]}}
    cur = con.cursor()
    assert running.count(cur, rule) == len(reference.members(rule))
    segment_id = saved.create(con, "スキンケア×サンクス 未購入", rule, "aoi")
    assert saved.get(cur, name="スキンケア×サンクス 未購入")["rule"] == rule
    with pytest.raises(saved.SegmentStoreError, match="already exists"):
        saved.create(con, "スキンケア×サンクス 未購入", rule, "aoi")
    saved.rename(con, segment_id, "skincare thanks", "aoi")
    copy = saved.duplicate(con, segment_id, "copy", "ren")
    saved.update(con, copy, {"version": 1, "rule": {"field": "customer"}}, "ren")
    saved.delete(con, copy, "ren")
    names = set(saved.list_segments(cur)["name"])
    assert "skincare thanks" in names and "copy" not in names
    actions = [r[0] for r in con.execute(
        "select action from audit_log where object in ($a, $b) order by \"at\"",
        {"a": f"segment:{segment_id}", "b": f"segment:{copy}"}).fetchall()]
    assert actions == ["segment.create", "segment.rename", "segment.create", "segment.duplicate",
                       "segment.update", "segment.delete"]
    with pytest.raises(rules.RuleError):
        saved.create(con, "bad", {"version": 1, "rule": {"field": "nope"}}, "aoi")


def test_breakdown_sample_matrix_overlap_and_sizes(world, reference):
    con, _ = world
    cur = con.cursor()
    rule = {"version": 1, "rule": {"field": "route", "in": ["coupon_ad", "thanks_page"]}}
    n = running.count(cur, rule)
    assert running.breakdown(cur, rule)["friends"].sum() == n
    sample = running.sample(cur, rule)
    assert len(sample) == min(20, n) and all("…" in u for u in sample["user_id"])
    everyone = running.matrix(cur)
    following = {"version": 1, "rule": {"field": "following"}}
    assert everyone["friends"].sum() == running.count(cur, following)
    a = {"version": 1, "rule": {"field": "route", "in": ["coupon_ad"]}}
    b = {"version": 1, "rule": {"field": "interest", "in": ["hot"]}}
    regions = running.overlap(cur, [a, b]).set_index(["in_a", "in_b"])["friends"]
    both = len(reference.members(a) & reference.members(b))
    assert regions.get((True, True), 0) == both
    assert regions.sum() == len(reference.members(a) | reference.members(b))
    seg = saved.create(con, "coupon", a, "aoi")
    sizes = saved.daily_sizes(con, [seg], END.date() - dt.timedelta(days=5), END.date() - dt.timedelta(days=1))
    assert len(sizes) == 5
    assert sizes["size"].iloc[-1] == len(reference.members(a))  # coupon friends added before the end


def test_cli_count_and_export(world, tmp_path):
    con, _ = world
    path = con.execute("select path from duckdb_databases() where database_name = current_database()").fetchone()[0]
    rule_file = tmp_path / "rule.json"
    rule_file.write_text(json.dumps({"version": 1, "rule": {"field": "route", "in": ["thanks_page"]}}), encoding="utf-8")
    expected = running.count(con.cursor(), json.loads(rule_file.read_text()))
    con.execute("checkpoint")
    # the CLI is another process: give it the file by copying, since this test process holds it
    copy = tmp_path / "copy.duckdb"
    import shutil
    shutil.copy(path, copy)
    run = lambda *a: subprocess.run([sys.executable, "-m", "dashboard", "segment", "--db", str(copy), *a],  # noqa: E731
                                    cwd=ROOT, capture_output=True, text=True, timeout=120)
    counted = run("--rule", str(rule_file), "--count")
    assert counted.returncode == 0, counted.stderr
    assert int(counted.stdout) == expected
    out = tmp_path / "ids.csv"
    exported = run("--rule", str(rule_file), "--export", str(out))
    assert exported.returncode == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "user_id" and len(lines) == expected + 1 and all(x.startswith("U") for x in lines[1:])
    bad = tmp_path / "bad.json"
    bad.write_text('{"version": 1, "rule": {"field": "route", "in": "thanks_page"}}', encoding="utf-8")
    refused = run("--rule", str(bad), "--count")
    assert refused.returncode == 1 and "rule (field 'route'): 'in' must be a non-empty list" in refused.stderr
    missing = run("--name", "no such segment", "--count")
    assert missing.returncode == 1 and "no saved segment" in missing.stderr
