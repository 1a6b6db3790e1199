"""Compose drafts per user (issue 19, point 7): kept in the database, restored, listed, owner-only."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.access import roles
from dashboard.core import storage
from dashboard.messaging import drafts

NAV = Path(__file__).resolve().parent.parent / "dashboard" / "web" / "navigation.py"
SATO = roles.User("sato", "operator", "local")
KATO = roles.User("kato", "operator", "local")


def test_drafts_belong_to_their_owner_and_viewers_cannot_write(tmp_path):
    con = storage.connect(tmp_path / "d.duckdb")
    cur = con.cursor()
    drafts.save(cur, SATO, "draft-1", {"cmp_title": "秋", "msg_count": 1, "msg_0_text": "こんにちは", "other": 1})
    assert drafts.load(cur, SATO, "draft-1") == {"cmp_title": "秋", "msg_count": 1, "msg_0_text": "こんにちは"}
    assert drafts.load(cur, KATO, "draft-1") is None             # someone else's draft stays closed
    drafts.save(cur, KATO, "draft-1", {"msg_0_text": "上書き"})    # … and is not overwritten
    assert drafts.load(cur, SATO, "draft-1")["msg_0_text"] == "こんにちは"
    assert drafts.listing(cur, KATO).empty
    drafts.delete(cur, KATO, "draft-1")
    assert len(drafts.listing(cur, SATO)) == 1
    with pytest.raises(roles.PermissionDenied):
        drafts.save(cur, roles.User("v", "viewer", "local"), "draft-2", {"msg_0_text": "x"})
    drafts.delete(cur, SATO, "draft-1")
    assert drafts.listing(cur, SATO).empty
    con.close()


@pytest.fixture
def compose(demo_db, tmp_path, monkeypatch, sandbox):
    db = tmp_path / "drafts.duckdb"
    shutil.copy(demo_db, db)
    for name, value in {"DASHBOARD_DB": str(db), "LINE_API_BASE_URL": sandbox.url,
                        "DASHBOARD_QUIET_HOURS": "off"}.items():
        monkeypatch.setenv(name, value)

    def open_page():
        at = AppTest.from_file(str(NAV), default_timeout=90)
        at.run()
        at.switch_page("../../pages/compose.py").run()
        assert not at.exception, at.exception
        return at
    return open_page, db


def test_a_draft_is_saved_as_typed_restored_after_a_reload_listed_and_deleted(compose):
    open_page, db = compose
    at = open_page()
    at.radio(key="cmp_kind").set_value("all").run()
    at.text_area(key="msg_0_text").set_value("冬のセールのお知らせ").run()
    at.text_input(key="cmp_title").set_value("12月 冬のセール").run()
    assert not at.exception, at.exception
    # a reload (a new session): the messages, the audience choice and the title come back
    again = open_page()
    assert again.text_area(key="msg_0_text").value == "冬のセールのお知らせ"
    assert again.text_input(key="cmp_title").value == "12月 冬のセール"
    assert again.radio(key="cmp_kind").value == "all"
    assert any("12月 冬のセール" in m.value for m in again.markdown)       # listed
    assert any("下書き（1件）" in e.label for e in again.expander)
    # a second draft, then the first opened again from the list
    again.button(key="drafts_new").click().run()
    assert again.text_area(key="msg_0_text").value == ""
    again.text_area(key="msg_0_text").set_value("別の下書き").run()
    first = next(b for b in again.button if b.key.startswith("drafts_open_") and not b.disabled)
    first.click().run()
    assert not again.exception, again.exception
    assert again.text_area(key="msg_0_text").value == "冬のセールのお知らせ"
    gone = next(b for b in again.button if b.key.startswith("drafts_del_") and b.key[11:] != first.key[12:])
    gone.click().run()
    con = storage.connect(db)
    assert [r[0] for r in con.execute("select title from compose_drafts").fetchall()] == ["12月 冬のセール"]
    con.close()


def test_the_rule_built_on_the_segments_page_comes_back_with_its_draft(compose):
    """A draft whose audience is "the rule on the Segments page" keeps that rule: after a reload it
    is back on the compose page and in the builder (issue 19, point 7)."""
    open_page, _ = compose
    at = open_page()
    at.switch_page("../../pages/segments.py").run()
    rule = '{"version": 1, "rule": {"all": [{"field": "route", "in": ["coupon_ad"]}, {"field": "interest", "in": ["hot"]}]}}'
    next(w for w in at.text_area if w.key and w.key.startswith("seg_json_")).set_value(rule).run()
    at.button(key="seg_json_apply").click().run()
    assert not at.exception, at.exception
    at.switch_page("../../pages/compose.py").run()
    at.radio(key="cmp_kind").set_value("builder").run()
    at.text_area(key="msg_0_text").set_value("クーポン広告から来た熱い友だちへ").run()
    assert any('"coupon_ad"' in c.value and '"hot"' in c.value for c in at.code)
    again = open_page()                                   # a reload: a new session, the builder empty
    assert again.radio(key="cmp_kind").value == "builder"
    assert any('"coupon_ad"' in c.value and '"hot"' in c.value for c in again.code), [c.value for c in again.code]
    again.switch_page("../../pages/segments.py").run()    # and the builder holds it too
    assert not again.exception, again.exception
    assert '"coupon_ad"' in next(w for w in again.text_area if w.key and w.key.startswith("seg_json_")).value


def test_back_on_compose_the_rule_just_built_is_not_replaced_by_the_drafts(compose):
    open_page, _ = compose
    at = open_page()
    at.switch_page("../../pages/segments.py").run()
    area = lambda: next(w for w in at.text_area if w.key and w.key.startswith("seg_json_"))  # noqa: E731
    area().set_value('{"version": 1, "rule": {"field": "route", "in": ["coupon_ad"]}}').run()
    at.button(key="seg_json_apply").click().run()
    at.switch_page("../../pages/compose.py").run()
    at.radio(key="cmp_kind").set_value("builder").run()
    at.text_area(key="msg_0_text").set_value("下書き").run()            # saved with coupon_ad
    at.switch_page("../../pages/segments.py").run()
    area().set_value('{"version": 1, "rule": {"field": "interest", "in": ["hot"]}}').run()
    at.button(key="seg_json_apply").click().run()
    at.switch_page("../../pages/compose.py").run()
    assert not at.exception, at.exception
    shown = " ".join(c.value for c in at.code)
    assert '"hot"' in shown and '"coupon_ad"' not in shown, shown
