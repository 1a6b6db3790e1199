"""The ステップ配信 page under AppTest on the demo account: its two demo scenarios with history, a
scenario added with sent steps (list, timeline, preview, funnel with the worst step, reply/push
counts, pause), and its writes checked by role."""
from __future__ import annotations

import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.access import roles
from dashboard.core import storage
from dashboard.scenarios import actions, store

APP = str(__import__("pathlib").Path(__file__).resolve().parent.parent / "dashboard" / "web" / "navigation.py")
DOC = {"version": 1, "name": "ようこそ", "trigger": {"type": "follow"}, "window": "09:00-21:00",
       "steps": [{"name": "welcome", "timing": {"after": {"minutes": 0}}, "messages": [{"type": "text", "text": "ようこそ"}]},
                 {"timing": {"day": 1, "at": "12:00"}, "messages": [{"type": "text", "text": "使い方"}]}]}


def _page(monkeypatch, db, lang="ja"):
    monkeypatch.setenv("DASHBOARD_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("../../pages/scenarios.py").run()
    assert not at.exception, at.exception
    return at


def test_the_demo_scenarios_show_a_funnel_with_a_real_drop_off(demo_copy, monkeypatch):
    at = _page(monkeypatch, demo_copy)
    assert any("定義" in c.value for c in at.caption)
    listed = at.dataframe[0].value
    assert list(listed.iloc[:, 0]) == ["ようこそ（オンボーディング）", "休眠フォロー（再エンゲージメント）"]
    funnel = at.dataframe[2].value                # the step where most leave is highlighted (a Styler)
    sent = [int(v.replace(",", "")) for v in funnel.iloc[:, 1]]   # shown as "21,349"
    assert funnel.iloc[0, -1] == "—"                             # nothing before the first step
    # after the conditional step 2, step 3 is compared with step 1 (every continuing friend passed it)
    assert not any(str(v).startswith("-") for v in funnel.iloc[:, -1]), list(funnel.iloc[:, -1])
    assert len(sent) == 4 and sent[0] > sent[1] > sent[3] > sent[2]   # step 2 is conditional: fewer get it
    assert any("最も離脱が多いのはステップ" in c.value for c in at.caption)
    assert int(at.metric[0].value.replace(",", "")) > 0           # welcomes answered by reply, for free
    at.toggle(key="scn_by_route").set_value(True).run()
    assert not at.exception


def test_the_page_shows_a_scenario_its_timeline_and_its_funnel(demo_copy, monkeypatch):
    con = storage.connect(demo_copy)
    try:
        store.save(con, DOC, "hanako")
        store.set_status(con, "ようこそ", "active", "hanako")
        sid = con.execute("select scenario_id from scenarios where name = 'ようこそ'").fetchone()[0]
        # history: the welcome step sent to ten friends of the demo, a day before their events end
        con.execute("insert into deliveries (delivery_id, kind, title, status, planned_count, sent_count, created_at, sent_at) "
                    "values ('stp_demo', 'step', 'ようこそ #0', 'sent', 10, 10, $t, $t)",
                    {"t": dt.datetime(2026, 11, 1, 12, tzinfo=dt.timezone.utc)})
        con.execute("insert into delivery_recipients (delivery_id, user_id, user_key, batch_no, retry_key, status, sent_at, via) "
                    "select 'stp_demo', user_id, user_key, 0, 'k', 'sent', $t, 'reply' from friends order by user_key limit 10",
                    {"t": dt.datetime(2026, 11, 1, 12, tzinfo=dt.timezone.utc)})
        con.execute("insert into scenario_deliveries values ('stp_demo', $sid, 0, $t)",
                    {"sid": sid, "t": dt.datetime(2026, 11, 1, 12, tzinfo=dt.timezone.utc)})
    finally:
        con.close()
    at = _page(monkeypatch, demo_copy)
    at.selectbox(key="scn_pick").set_value("ようこそ").run()
    assert len(at.dataframe) >= 3, [i.value for i in at.info]   # list, timeline, funnel
    at.selectbox(key="scn_pick").set_value("ようこそ").run()
    assert [m.value for m in at.metric][:2] == ["10", "0"]
    assert len(list(at.get("plotly_chart"))) == 1
    assert any(b.label == "一時停止" for b in at.button)
    at.button(key="scn_do_paused").click().run()
    assert not at.exception
    con = storage.connect(demo_copy)
    try:
        assert con.execute("select status from scenarios where name = 'ようこそ'").fetchone()[0] == "paused"
    finally:
        con.close()


def test_writes_check_the_role_on_the_server(tmp_path):
    con = storage.connect(tmp_path / "roles.duckdb")
    try:
        viewer, operator = roles.User("mika", "viewer", "local"), roles.User("ken", "operator", "local")
        with pytest.raises(roles.PermissionDenied):
            actions.import_file(con, viewer, __import__("json").dumps(DOC))
        actions.import_file(con, operator, __import__("json").dumps(DOC))
        with pytest.raises(roles.PermissionDenied):   # activating sends messages: the sender role
            actions.set_status(con, operator, "ようこそ", "active")
        actions.set_status(con, roles.User("sae", "sender", "local"), "ようこそ", "active")
    finally:
        con.close()
