"""The ステップ配信 page's editor under AppTest: a new scenario written on the page (trigger, window,
steps with bubbles and a condition) is saved through the file format's own checks and reads back
the same; a stored scenario opens with its steps as written; steps move and go without handing one
step's text to another; what the format refuses is said in Japanese with the place, and saves
nothing; an active scenario and a viewer's role cannot save (checked on the server too)."""
from __future__ import annotations

import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.access import roles
from dashboard.core import storage
from dashboard.scenarios import actions, editing, model, store

APP = str(__import__("pathlib").Path(__file__).resolve().parent.parent / "dashboard" / "web" / "navigation.py")
TZ = "Asia/Tokyo"


def _page(monkeypatch, db, lang="ja"):
    monkeypatch.setenv("DASHBOARD_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    if lang == "en":
        at.radio(key="lang").set_value("en").run()
    at.switch_page("../../pages/scenarios.py").run()
    assert not at.exception, at.exception
    return at


def _open(at, choice="__new__"):
    key = next(s.key for s in at.selectbox if s.key and s.key.startswith("scn_e_pick"))
    at.selectbox(key=key).set_value(choice).run()
    at.button(key="scn_e_open").click().run()
    assert not at.exception, at.exception
    return at


def test_a_scenario_written_on_the_page_is_saved_and_reads_back(demo_copy, monkeypatch):
    at = _open(_page(monkeypatch, demo_copy))
    at.text_input(key="scn_e_name").set_value("エディタで作成").run()
    at.text_area(key="scn_e_0_msg_0_text").set_value("友だち追加ありがとうございます！").run()
    at.text_area(key="scn_e_1_msg_0_text").set_value("使い方のご案内").run()
    # the example friend enrols at 02:00: step 0 waits for the window's 09:00, step 1 is day 1 at 12:00
    schedule = next(d.value for d in at.dataframe if "届く日時" in getattr(d.value, "columns", []))
    assert [v[-5:] for v in schedule.iloc[:, 1]] == ["09:00", "12:00"]
    at.button(key="scn_e_add").click().run()
    at.text_area(key="scn_e_2_msg_0_text").set_value("クーポンです").run()
    at.radio(key="scn_e_2_cond").set_value("json").run()
    at.text_area(key="scn_e_2_rule").set_value('{"version": 1, "rule": {"field": "never_purchased"}}').run()
    at.radio(key="scn_e_2_otherwise").set_value("skip").run()
    at.button(key="scn_e_save").click().run()
    assert not at.exception, at.exception
    assert any("保存しました" in s.value for s in at.success)
    con = storage.connect(demo_copy)
    try:
        saved = store.load(con.cursor(), "エディタで作成")
        audit = con.execute("select action from audit_log where action like 'scenario.%' order by \"at\" desc limit 1").fetchone()
    finally:
        con.close()
    assert saved.status == "draft" and saved.window == "09:00-21:00" and audit[0] == "scenario.import"
    assert [s.messages[0]["text"] for s in saved.steps] == ["友だち追加ありがとうございます！", "使い方のご案内", "クーポンです"]
    assert saved.steps[2].raw_timing == {"after": {"days": 1}}
    assert saved.steps[2].condition == {"rule": {"version": 1, "rule": {"field": "never_purchased"}}, "met": "send",
                                        "otherwise": "skip"}


def test_a_stored_scenario_opens_as_written_and_steps_move_without_mixing(demo_copy, monkeypatch):
    at = _open(_page(monkeypatch, demo_copy), "ようこそ（オンボーディング）")
    con = storage.connect(demo_copy)
    try:
        stored = store.export(con.cursor(), "ようこそ（オンボーディング）")
    finally:
        con.close()
    texts = [s["messages"][0].get("text") for s in stored["steps"]]
    assert at.text_input(key="scn_e_name").value == stored["name"]
    assert [at.text_area(key=f"scn_e_{n}_msg_0_text").value for n in range(len(texts))] == texts
    at.button(key="scn_e_1_up").click().run()      # step 1 becomes step 0: its own text goes with it
    at.button(key="scn_e_2_drop").click().run()
    assert not at.exception
    order = at.session_state["scn_e_order"]
    assert order == [1, 0, *range(3, len(texts))]
    assert [at.text_area(key=f"scn_e_{uid}_msg_0_text").value for uid in order] == [texts[1], texts[0], *texts[3:]]
    assert at.markdown and any("ステップ #0" in m.value for m in at.markdown)


def test_what_the_format_refuses_is_said_in_japanese_and_nothing_is_saved(demo_copy, monkeypatch):
    at = _open(_page(monkeypatch, demo_copy))
    at.text_input(key="scn_e_name").set_value("空のメッセージ").run()
    errors = [e.value for e in at.error]
    assert any("文字数は1〜5,000" in e and "steps[0].messages[0].text" in e for e in errors), errors
    assert not any(b.key == "scn_e_save" for b in at.button)
    at.text_area(key="scn_e_0_msg_0_text").set_value("a").run()
    at.text_area(key="scn_e_1_msg_0_text").set_value("b").run()
    at.toggle(key="scn_e_window_on").set_value(True).run()
    at.time_input(key="scn_e_from").set_value(dt.time(22, 30)).run()
    at.time_input(key="scn_e_to").set_value(dt.time(7, 0)).run()
    assert any("配信しない時間帯に入っています" in e.value for e in at.error)
    assert not any(ch in e.value for e in at.error for ch in ("must", "window '"))
    con = storage.connect(demo_copy)
    try:
        assert con.execute("select count(*) from scenarios where name = '空のメッセージ'").fetchone()[0] == 0
    finally:
        con.close()


def test_an_active_scenario_is_not_saved_and_a_viewer_may_not_save(demo_copy):
    con = storage.connect(demo_copy)
    try:
        doc = store.export(con.cursor(), "ようこそ（オンボーディング）")
        assert store.row(con.cursor(), doc["name"])["status"] == "active"
        with pytest.raises(store.StoreError) as err:
            actions.save_definition(con, roles.User("hanako", "operator", "local"), doc)
        assert "一時停止" in err.value.text("ja")
        with pytest.raises(roles.PermissionDenied):
            actions.save_definition(con, roles.User("viewer", "viewer", "local"), {**doc, "name": "別名"})
    finally:
        con.close()


def test_the_example_schedule_keeps_the_window_and_slips_a_late_enrolment():
    doc = editing.blank("x")
    for step in doc["steps"]:
        step["messages"] = [{"type": "text", "text": "hi"}]
    at_two = dt.datetime(2026, 12, 1, 17, 0, tzinfo=dt.timezone.utc)          # 02:00 JST on 12/2
    (s0, first), (s1, second) = editing.example_schedule(doc, at_two, tz=TZ, quiet=(22, 8))
    assert first == dt.datetime(2026, 12, 2, 0, 0, tzinfo=dt.timezone.utc)    # 09:00 JST, the window opens
    assert second == dt.datetime(2026, 12, 3, 3, 0, tzinfo=dt.timezone.utc)   # day 1 at 12:00 JST
    late = dt.datetime(2026, 12, 2, 11, 30, tzinfo=dt.timezone.utc)           # 20:30 JST: day 0 at once …
    doc["steps"][1]["timing"] = {"day": 0, "at": "12:00"}                    # … then "day 0 at 12:00" has passed
    (_, first), (_, second) = editing.example_schedule(doc, late, tz=TZ, quiet=(22, 8))
    assert first == late and second == dt.datetime(2026, 12, 3, 3, 0, tzinfo=dt.timezone.utc)   # slips a day
    with pytest.raises(model.ScenarioError):
        editing.example_schedule({**doc, "window": "23:00-06:00"}, late, tz=TZ, quiet=(22, 8))
    assert editing.move([0, 1, 2], 0, -1) == [0, 1, 2] and editing.move([0, 1, 2], 2, -1) == [0, 2, 1]


def test_the_editor_in_english_has_no_japanese_labels(demo_copy, monkeypatch):
    at = _open(_page(monkeypatch, demo_copy, "en"))
    labels = [w.label for w in (*at.text_input, *at.radio, *at.checkbox, *at.button) if w.key and w.key.startswith("scn_e")]
    assert labels and not any(any("\u3040" <= ch <= "\u30ff" for ch in label) for label in labels), labels


def test_forbidden_terms_refuse_a_save_and_an_activation_warnings_only_show(demo_copy, monkeypatch):
    doc = editing.blank("禁止語")
    doc["steps"][0]["messages"] = [{"type": "text", "text": "オンラインカジノのご案内"}]
    doc["steps"][1]["messages"] = [{"type": "text", "text": "これで治る"}]
    con = storage.connect(demo_copy)
    try:
        with pytest.raises(store.StoreError) as err:
            store.save(con, doc, "hanako")
        assert "カジノ" in err.value.text("ja") and "ステップ0" in err.value.text("ja")
        doc["steps"][0]["messages"] = [{"type": "text", "text": "ようこそ"}]
        store.save(con, doc, "hanako")                      # a warn-level term alone is shown, not refused
        monkeypatch.setenv("DASHBOARD_FORBIDDEN_TERMS", "治る:block")
        with pytest.raises(store.StoreError):               # the terms changed since the save: not activated
            store.set_status(con, "禁止語", "active", "hanako")
        assert store.row(con.cursor(), "禁止語")["status"] == "draft"
    finally:
        con.close()
    monkeypatch.delenv("DASHBOARD_FORBIDDEN_TERMS")
    at = _open(_page(monkeypatch, demo_copy))
    at.text_input(key="scn_e_name").set_value("禁止語その2").run()
    at.text_area(key="scn_e_0_msg_0_text").set_value("カジノ").run()
    at.text_area(key="scn_e_1_msg_0_text").set_value("副作用なし").run()
    assert any("カジノ" in e.value for e in at.error) and any("副作用なし" in w.value for w in at.warning)
    assert not any(b.key == "scn_e_save" for b in at.button)
