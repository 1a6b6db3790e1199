"""The Health page under AppTest (issue 16): in Japanese and in English with no word of the other
language (the language test's own check, tests/test_languages.py), the alerts on the pages they
concern, acknowledging and setting a goal through the page, what each role may do, the count in
the page list."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.test_languages import account_words, foreign, texts_of
from tests.test_roles import ROLES, SECRETS

NAV = Path(__file__).resolve().parent.parent / "dashboard" / "web" / "navigation.py"
PAGES_WITH_ALERTS = ("deliveries", "acquisition", "overview")   # the demo's alerts concern these


@pytest.fixture
def db(demo_db, tmp_path, monkeypatch, sandbox):
    path = tmp_path / "health.duckdb"
    shutil.copy(demo_db, path)
    monkeypatch.setenv("DASHBOARD_DB", str(path))
    monkeypatch.setenv("LINE_API_BASE_URL", sandbox.url)
    return path


def _open(lang: str, page: str = "health") -> AppTest:
    at = AppTest.from_file(str(NAV), default_timeout=90)
    at.session_state["lang"] = lang
    at.run()
    at.switch_page(f"../../pages/{page}.py").run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_health_page_speaks_one_language(db, lang):
    data = account_words(db)
    at = _open(lang)
    text = " ".join(m.value for m in at.markdown)
    assert ("根拠" if lang == "ja" else "Evidence") in text
    assert ("おすすめの対応" if lang == "ja" else "Suggested action") in text
    assert any(b.key.startswith("hl_ack_") for b in at.button) and any(b.key.startswith("hl_mute_") for b in at.button)
    bad = {"health": sorted({w for s in texts_of(at) for w in foreign(s, lang, data)})}
    for page in PAGES_WITH_ALERTS:   # each alert also on the page it concerns
        at.switch_page(f"../../pages/{page}.py").run()
        assert not at.exception, (page, at.exception)
        assert [e for e in at.expander if e.label.startswith("この画面に関係するサイン" if lang == "ja" else "Warning signs")], page
        bad[page] = sorted({w for s in texts_of(at) for w in foreign(s, lang, data)})
    assert not any(bad.values()), json.dumps(bad, ensure_ascii=False)


def test_acknowledge_mute_and_a_goal_through_the_page(db):
    at = _open("ja")
    first = next(b for b in at.button if b.key.startswith("hl_ack_"))
    alert_id = first.key.removeprefix("hl_ack_")
    first.click().run()
    assert not at.exception and any("対応中にしました" in s.value for s in at.success)
    at.selectbox(key="hl_goal_kpi_ja").select("purchases").run()
    at.number_input(key="hl_goal_target_purchases").set_value(120).run()
    at.button(key="hl_goal_save").click().run()
    assert not at.exception and any("目標を保存しました" in s.value for s in at.success)
    assert any("LINEからの購入" in m.value for m in at.markdown)
    at.selectbox(key="hl_goal_kpi_ja").select("block_rate").run()
    at.number_input(key="hl_goal_target_block_rate").set_value(5.0).run()
    at.button(key="hl_goal_save").click().run()
    assert not at.exception
    mute = next(b for b in at.button if b.key.startswith("hl_mute_"))
    at.selectbox(key=mute.key.replace("hl_mute_", "hl_mute_days_ja_")).select(30).run()
    mute.click().run()
    assert not at.exception and any("非表示にしました" in s.value for s in at.success)
    from dashboard.web import context

    cur = context._connection(str(db)).cursor()   # this process holds the file (AppTest's connection)
    try:
        statuses = dict(cur.execute("select alert_id, status from alerts").fetchall())
        goals = dict(cur.execute("select kpi, target from goals").fetchall())
        actions = [r[0] for r in cur.execute("select action from audit_log where action like 'alert.%' "
                                             "or action like 'goal.%' order by \"at\"").fetchall()]
    finally:
        cur.close()
    assert statuses[alert_id] == "acknowledged" and "muted" in statuses.values()
    assert goals == {"purchases": 120.0, "block_rate": pytest.approx(0.05)}
    assert actions == ["alert.acknowledge", "goal.set", "goal.set", "alert.mute"]


@pytest.fixture
def shared(db, tmp_path, monkeypatch):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(SECRETS, encoding="utf-8")
    monkeypatch.setenv("DASHBOARD_SECRETS_FILE", str(secrets))
    monkeypatch.setenv("DASHBOARD_OIDC_ROLES", ROLES)
    return db


def _as(email: str) -> AppTest:
    at = AppTest.from_file(str(NAV), default_timeout=90)
    at.user = {"is_logged_in": True, "email": email, "email_verified": True}
    at.run()
    at.switch_page("../../pages/health.py").run()
    assert not at.exception, at.exception
    return at


def test_each_role_sees_what_it_may_do(shared):
    viewer = _as("viewer@example.jp")
    assert not [b for b in viewer.button if b.key.startswith(("hl_ack_", "hl_goal_"))]
    assert any("運用担当者以上" in c.value for c in viewer.caption)
    operator = _as("op@example.jp")
    assert [b for b in operator.button if b.key.startswith("hl_ack_")]
    assert not [b for b in operator.button if b.key.startswith("hl_goal_")]   # goals: admins only
    assert any("管理者" in c.value for c in operator.caption)
    boss = _as("boss@example.jp")
    assert [b for b in boss.button if b.key == "hl_goal_save"]


def test_the_page_list_counts_the_open_alerts(db):
    from dashboard.checkup import alerts
    from dashboard.web import health_ui

    title = health_ui.nav_title("ja")
    cur = health_ui._connection(str(db)).cursor()
    n = len(alerts.open_alerts(cur))
    cur.close()
    assert n > 0 and title == f"アカウント診断（{n}件）" and health_ui.nav_title("en") == f"Account health ({n})"

