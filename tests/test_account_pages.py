"""Issue 11's widgets on the pages (AppTest on a demo copy): LINE's figures on the Overview, and a
lost-answer batch on Deliveries with a sender's decision."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.messaging import sending
from dashboard.core import storage

APP = Path(__file__).resolve().parent.parent / "dashboard" / "web" / "navigation.py"
MESSAGES = [{"type": "text", "text": "冬のセール"}]


def _app(db, monkeypatch, page):
    monkeypatch.setenv("DASHBOARD_DB", str(db))
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    at.switch_page("../../" + page).run()
    assert not at.exception, at.exception
    return at


def test_overview_puts_lines_figures_beside_ours(demo_copy, monkeypatch):
    con = storage.connect(demo_copy)
    known = con.execute("select count(*) from friends").fetchone()[0]
    con.execute("insert into insight_followers values ('2026-11-23', $n, 2500, 40, current_timestamp)", {"n": known + 423})
    con.close()
    at = _app(demo_copy, monkeypatch, "pages/overview.py")
    assert any(s.value == "LINEの数字との比較" for s in at.subheader)
    text = " ".join(m.value for m in at.markdown)
    assert f"友だち{known + 423:,}人" in text and "423人はダッシュボードの開始以来まだ見えていません" in text
    assert any(m.label == "ターゲットリーチ（LINE）" and m.value == "2,500" for m in at.metric)


def test_deliveries_page_shows_a_lost_batch_and_a_sender_marks_it_sent(demo_copy, monkeypatch):
    con = storage.connect(demo_copy)
    to = [u for (u,) in con.execute("select user_id from friends order by user_key limit 3").fetchall()]
    sending.plan(con, delivery_id="d_lost", user_ids=to, messages=MESSAGES, title="冬のセール")
    con.execute("update delivery_recipients set status = 'unknown', attempted_at = current_timestamp - interval 25 hour "
                "where delivery_id = 'd_lost'")
    con.execute("update deliveries set status = 'paused' where delivery_id = 'd_lost'")
    key = con.execute("select any_value(retry_key) from delivery_recipients where delivery_id = 'd_lost'").fetchone()[0]
    con.close()
    at = _app(demo_copy, monkeypatch, "pages/deliveries.py")
    assert any(s.value == "応答が失われたバッチ" for s in at.subheader)
    assert any(key in m.value and "3人" in m.value for m in at.markdown)
    at.button(key="dlv_lost_d_lost_0_mark_sent").click().run()
    assert any("確認のチェック" in w.value for w in at.warning)          # not without the confirmation
    at.checkbox(key="dlv_lost_d_lost_0_ack").check().run()
    at.button(key="dlv_lost_d_lost_0_mark_sent").click().run()
    assert not at.exception
    assert any("記録しました" in s.value for s in at.success)
    at.run()
    assert not any(s.value == "応答が失われたバッチ" for s in at.subheader)   # dealt with
