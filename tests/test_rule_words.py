"""Rules in words (issue 15, point 5): every valid rule reads as a sentence, in Japanese with no code
of the rule language left in it, in English with no Japanese of ours."""
from __future__ import annotations

import datetime as dt
import re

from hypothesis import given, settings, strategies as st

from dashboard.audience import rules, words

ROUTES = {"thanks_page": ("サンクスページ", "Thanks page"), "coupon_ad": ("クーポン広告", "Coupon ad"),
          "store_pop": ("店頭POP", "Store POP")}
DELIVERIES = {"dlv_0001": "春のセール"}
LABELS = {"routes": ROUTES, "deliveries": DELIVERIES}
# what the account writes itself (tags, attribute values, areas, genres) is Japanese here, so any Latin
# letter in a Japanese sentence is a code of ours that was not put into words
ja_text = st.text(alphabet="あいうえおかきくけこ肌荒睡眠料金", min_size=1, max_size=6)
ja_texts = st.lists(ja_text, min_size=1, max_size=3, unique=True)
days = st.integers(1, 3650)
dates = st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2027, 1, 1))


@st.composite
def followed(draw):
    if draw(st.booleans()):
        return {"field": "followed", "within_days": draw(days)}
    first, last = sorted([draw(dates), draw(dates)])
    return {"field": "followed", "from": first.isoformat(), "to": last.isoformat()}


@st.composite
def attribute(draw):
    op = draw(st.sampled_from(["eq", "ne", "in", "contains", "lt", "le", "gt", "ge"]))
    value = draw(ja_texts) if op == "in" else draw(st.integers(-5, 500)) if op in ("lt", "le", "gt", "ge") else draw(ja_text)
    return {"field": "attribute", "key": draw(ja_text), "op": op, "value": value}


@st.composite
def customer_range(draw, field):
    low, high = draw(st.none() | st.integers(0, 100)), draw(st.none() | st.integers(100, 10_000))
    if low is None and high is None:
        low = 1
    return {"field": field, **({"min": low} if low is not None else {}), **({"max": high} if high is not None else {})}


def purchased(draw_category):
    return st.builds(lambda n, c: {"field": "purchased", "within_days": n, **({"category": c} if c else {})},
                     days, draw_category)


FIELDS = {
    "following": st.builds(lambda v: {"field": "following", "value": v}, st.booleans()),
    "followed": followed(),
    "route": st.builds(lambda r: {"field": "route", "in": r}, st.lists(st.sampled_from(sorted(ROUTES)), min_size=1, unique=True)),
    "tags": st.builds(lambda m, tags: {"field": "tags", "match": m, "tags": tags}, st.sampled_from(["any", "all", "none"]), ja_texts),
    "attribute": attribute(),
    "customer": st.builds(lambda v: {"field": "customer", "linked": v}, st.booleans()),
    "purchased": purchased(st.none() | ja_text),
    "never_purchased": st.just({"field": "never_purchased"}),
    "orders": customer_range("orders"),
    "revenue": customer_range("revenue"),
    "reactions": st.builds(lambda k, m, n: {"field": "reactions", "type": k, "min": m, "within_days": n},
                           st.sampled_from(["any", *rules.REACTION_TYPES]), st.integers(1, 50), days),
    "richmenu_tap": st.builds(lambda a, n: {"field": "richmenu_tap", "area": a, "within_days": n}, ja_text, days),
    "clicked": st.builds(lambda d: {"field": "clicked", "delivery_id": d}, st.sampled_from(sorted(DELIVERIES))),
    "received": st.builds(lambda m, n: {"field": "received", "min": m, "within_days": n}, st.integers(1, 20), days),
    "interest": st.builds(lambda v: {"field": "interest", "in": v},
                          st.lists(st.sampled_from(rules.INTEREST_LEVELS), min_size=1, unique=True)),
    "genre": st.builds(lambda v: {"field": "genre", "in": v}, ja_texts),
    "email_reached": st.builds(lambda v: {"field": "email_reached", "in": v},
                               st.lists(st.text(alphabet="0123456789", min_size=64, max_size=64), min_size=1, max_size=3)),
}
CONDITION = st.one_of(*FIELDS.values())
NODE = st.recursive(CONDITION, lambda kids: st.one_of(
    st.builds(lambda c: {"all": c}, st.lists(kids, min_size=1, max_size=3)),
    st.builds(lambda c: {"any": c}, st.lists(kids, min_size=1, max_size=3)),
    st.builds(lambda c: {"not": c}, kids)), max_leaves=12)


def test_every_field_of_the_rule_language_is_generated():
    """The generator covers rules.CONDITIONS: a new field must be put into words (and here)."""
    assert set(FIELDS) == set(rules.CONDITIONS)


@settings(max_examples=300, deadline=None)
@given(NODE)
def test_every_valid_rule_reads_as_a_sentence(node):
    rule = {"version": 1, "rule": node}
    rules.validate(rule)   # the generator makes valid rules only
    ja = words.describe(rule, "ja", LABELS)
    en = words.describe(rule, "en", LABELS)
    assert ja.strip() and en.strip()
    assert not re.search(r"[A-Za-z]", ja.replace("POP", "")), ja   # no code left in Japanese
    assert "{" not in ja and "{" not in en
    data = "あいうえおかきくけこ肌荒睡眠料金"
    ours = re.sub(f"[{data}]|サンクスページ|クーポン広告|店頭POP|春のセール", "", en)
    assert not re.search(r"[\u3040-\u30ff\u3400-\u9fff]", ours), en   # no Japanese of ours in English


def test_the_issue_example_reads_as_the_issue_says():
    rule = {"version": 1, "rule": {"all": [{"field": "following", "value": True},
                                           {"field": "route", "in": ["thanks_page"]},
                                           {"not": {"field": "purchased", "within_days": 90}}]}}
    assert words.describe(rule, "ja", LABELS) == "ブロックしていない友だち かつ 流入経路がサンクスページ かつ 直近90日に購入なし"
    assert words.describe(rule, "en", LABELS) == ("friends who have not blocked the account and inflow route is "
                                                  "Thanks page and no purchase in the last 90 days")


def test_nested_groups_are_bracketed_and_negations_said():
    rule = {"version": 1, "rule": {"any": [
        {"all": [{"field": "interest", "in": ["hot", "warm"]}, {"field": "genre", "in": ["スキンケア"]}]},
        {"not": {"any": [{"field": "tags", "match": "all", "tags": ["肌荒れ", "睡眠"]},
                         {"field": "customer", "linked": True}]}}]}}
    assert words.describe(rule, "ja", LABELS) == (
        "（関心度が高・中 かつ ジャンルが「スキンケア」） または "
        "「タグ「肌荒れ」「睡眠」をすべて持つ または 顧客データと連携済み」に当てはまらない")
    assert words.describe(rule, "en", LABELS) == (
        "(interest level is Hot or Warm and main genre is “スキンケア”) or "
        "not (has all of the tags “肌荒れ” and “睡眠” or linked to a CRM customer)")


def test_an_invalid_rule_is_refused_like_validate():
    import pytest

    with pytest.raises(rules.RuleError):
        words.describe({"version": 1, "rule": {"field": "nope"}}, "ja")
