"""The compose page under AppTest, against a real sandbox: checks, exact audience, cost, confirm, send."""
from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.messaging import planning
from dashboard.core import storage

NAV = Path(__file__).resolve().parent.parent / "dashboard" / "web" / "navigation.py"


@pytest.fixture
def page(demo_db, tmp_path, monkeypatch, sandbox):
    db = tmp_path / "compose.duckdb"
    shutil.copy(demo_db, db)
    for name, value in {"DASHBOARD_DB": str(db), "LINE_API_BASE_URL": sandbox.url, "DASHBOARD_QUIET_HOURS": "off",
                        "DASHBOARD_FREQUENCY_CAP": "50", "DASHBOARD_CONFIRM_TYPE_ABOVE": "100"}.items():
        monkeypatch.setenv(name, value)
    at = AppTest.from_file(str(NAV), default_timeout=90)
    at.run()
    at.switch_page("../../pages/compose.py").run()
    assert not at.exception, at.exception
    at.radio(key="cmp_kind").set_value("all").run()
    return at, db, sandbox


def _recipients(at) -> int:
    metric = next(m for m in at.metric if m.label in ("配信人数", "Recipients"))
    return int(metric.value.replace(",", ""))


def test_checks_exact_audience_cost_and_confirm_then_send(page):
    at, db, sandbox = page
    at.text_area(key="msg_0_text").set_value("秋の新商品のお知らせです").run()
    assert not at.exception, at.exception
    assert not [e for e in at.error], [e.value for e in at.error]
    recipients = _recipients(at)
    con = storage.connect(db)
    following = con.execute("select count(*) from friends where is_following").fetchone()[0]
    con.close()
    assert recipients == following
    quota = next(m for m in at.metric if m.label == "今月の残り通数")
    assert quota.value == "1,000,000,000"
    at.button(key="cmp_confirm").click().run()
    assert "取り消せません" in " ".join(w.value for w in at.warning)
    go = at.button(key="cmp_go")
    assert go.disabled  # above the threshold the count must be typed first
    at.text_input(key="cmp_typed").set_value(str(recipients)).run()
    at.button(key="cmp_go").click().run()
    assert not at.exception, at.exception
    deadline = time.monotonic() + 60
    while sandbox.summary()["recipients"] < recipients and time.monotonic() < deadline:
        time.sleep(0.2)
    summary = sandbox.summary()
    assert summary["recipients"] == recipients and summary["duplicates"] == []
    # clicking confirm twice for the same draft cannot send twice
    assert "cmp_started" in at.session_state


def test_confirm_dialog_says_what_who_when_and_cost_and_can_be_cancelled(page):
    at, _, sandbox = page
    at.text_area(key="msg_0_text").set_value("冬のセールのお知らせ").run()
    at.text_input(key="cmp_title").set_value("12月 冬のセール").run()
    at.button(key="cmp_confirm").click().run()
    assert not at.exception, at.exception
    said = " ".join(m.value for m in at.markdown)
    assert "配信名:** 12月 冬のセール" in said
    assert "配信対象:** すべての友だち" in said
    assert "送信時刻:** 今すぐ" in said
    labels = [m.label for m in at.metric]
    assert labels.count("配信人数") == 2 and "超過分の見込み費用" in labels   # the page's and the dialog's
    previews = [h for h in at.get("html") if "冬のセールのお知らせ" in h.proto.body]
    assert len(previews) == 2                      # the page's preview and the dialog's
    at.button(key="cmp_cancel").click().run()
    assert not at.session_state["cmp_confirming"]
    assert not [b for b in at.button if b.key == "cmp_go"]   # the dialog is closed: nothing to send with
    assert sandbox.summary()["recipients"] == 0
    # scheduled: the time in the account's zone
    at.radio(key="cmp_when").set_value("schedule").run()
    at.button(key="cmp_confirm").click().run()
    said = " ".join(m.value for m in at.markdown)
    assert "12:00（Asia/Tokyo）に予約" in said


def test_test_send_says_it_uses_the_quota_before_sending(page):
    at, db, _ = page
    from dashboard.messaging import staff
    from dashboard.access.roles import User

    con = storage.connect(db)
    pair = ["U" + "a" * 32, "U" + "b" * 32]
    for user_id in pair:
        staff.add(con.cursor(), User("ada", "admin", "local"), user_id)
    at.run()
    at.multiselect(key="cmp_testers").set_value(pair).run()
    note = " ".join(c.value for c in at.caption)
    assert "テスト送信も今月の配信数を使います: 2通" in note


def test_untracked_links_are_said_with_how_to_track_them(page, monkeypatch):
    at, _, _ = page
    monkeypatch.delenv("DASHBOARD_PUBLIC_BASE_URL", raising=False)
    at.text_area(key="msg_0_text").set_value("セール会場 https://example.com/sale").run()
    said = [w.value for w in at.warning if "計測されずにそのまま送られます" in w.value]
    assert said and "DASHBOARD_PUBLIC_BASE_URL" in said[0]
    at.text_area(key="msg_0_text").set_value("リンクなしのお知らせ").run()
    assert not [w for w in at.warning if "計測されずに" in w.value]


def test_over_limit_message_is_blocked_before_sending(page):
    at, _, sandbox = page
    at.text_area(key="msg_0_text").set_value("あ" * 5001).run()
    assert any("吹き出し1の本文: 文字数は1〜5,000にしてください" in e.value for e in at.error)
    assert at.button(key="cmp_confirm").disabled
    assert sandbox.summary()["recipients"] == 0


def test_forbidden_term_blocks_and_warns(page):
    at, _, _ = page
    at.text_area(key="msg_0_text").set_value("クレジットカード現金化のご案内").run()
    assert any("クレジットカード現金化" in e.value for e in at.error)
    assert at.button(key="cmp_confirm").disabled
    at.text_area(key="msg_0_text").set_value("医療の専門家が監修").run()
    assert any("医療" in w.value for w in at.warning)
    assert not at.button(key="cmp_confirm").disabled


def test_image_needs_https(page):
    at, _, _ = page
    at.radio(key="msg_0_kind").set_value("image").run()
    at.text_input(key="msg_0_url").set_value("http://example.com/a.jpg").run()
    assert any("吹き出し1の画像URL: https:// で始まるURLにしてください" in e.value for e in at.error)


def test_plan_that_cannot_buy_extra_messages_is_blocked(page, monkeypatch):
    at, _, sandbox = page
    sandbox.configure(quota=100)
    monkeypatch.setenv("DASHBOARD_PLAN", "light")
    at.text_area(key="msg_0_text").set_value("こんにちは").run()
    assert any("ライトプランは追加メッセージを購入できません" in e.value for e in at.error)
    assert at.button(key="cmp_confirm").disabled


def test_plan_send_counts_every_exclusion(demo_copy, sandbox, monkeypatch):
    monkeypatch.setenv("DASHBOARD_QUIET_HOURS", "off")
    con = storage.connect(demo_copy)
    cur = con.cursor()
    everyone = {"version": 1, "rule": {"field": "route", "in": ["coupon_ad", "thanks_page", "site_banner"]}}
    emails = [r[0] for r in cur.execute("select email_hash from customers where line_user_id is not null limit 40").fetchall()]
    excluded = {"version": 1, "rule": {"field": "route", "in": ["site_banner"]}}
    from dashboard.line import api
    plan = planning.plan_send(cur, everyone, [{"type": "text", "text": "x"}], clients=api.clients(sandbox.url, "t"),
                             exclude_rule=excluded, email_hashes=emails, frequency_cap=3)
    codes = [code for code, _, _ in plan.exclusions]
    assert codes == ["not_following", "frequency_cap", "excluded_segment", "email_reached"]
    assert plan.audience - sum(n for _, n, _ in plan.exclusions) == plan.recipients
    assert plan.exclusions[2][1] > 0  # site-banner friends left after the cap
    con.close()


def test_the_same_messages_to_the_same_people_again_are_blocked(page):
    """A second tab or a new draft with the same messages cannot reach the same friends twice."""
    at, _, sandbox = page
    at.text_area(key="msg_0_text").set_value("一度だけ届くべきお知らせ").run()
    recipients = _recipients(at)
    at.button(key="cmp_confirm").click().run()
    at.text_input(key="cmp_typed").set_value(str(recipients)).run()
    at.button(key="cmp_go").click().run()
    deadline = time.monotonic() + 60
    while sandbox.summary()["recipients"] < recipients and time.monotonic() < deadline:
        time.sleep(0.2)
    at.button(key="cmp_new").click().run()  # a new draft, same text
    assert any("24時間以内" in e.value for e in at.error)
    assert at.button(key="cmp_confirm").disabled
    assert sandbox.summary()["deliveries"] == recipients
