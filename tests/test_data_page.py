"""The Data page under AppTest: loader status, load now, quarantine, a CSV import with bad rows."""
from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parent.parent / "dashboard" / "web" / "navigation.py"


def test_data_page_loads_the_spool_and_shows_the_quarantine(demo_copy, monkeypatch, tmp_path):
    spool = tmp_path / "spool"
    spool.mkdir()
    body = {"destination": "U0", "events": [
        {"type": "follow", "mode": "active", "timestamp": 1767225600000, "webhookEventId": "01DATAPAGE",
         "source": {"type": "user", "userId": "U" + "d" * 32}, "follow": {"isUnblocked": False}},
        {"type": "message", "mode": "active", "webhookEventId": "01NOTIME", "source": {"type": "user", "userId": "U1"}}]}
    (spool / "20260101-00.jsonl").write_text(json.dumps(
        {"kind": "webhook", "received_at": "2026-01-01T00:00:01+00:00", "body": json.dumps(body)}) + "\n")
    monkeypatch.setenv("DASHBOARD_DB", str(demo_copy))
    monkeypatch.setenv("DASHBOARD_SPOOL", str(spool))
    monkeypatch.setenv("DASHBOARD_SECRETS_FILE", str(tmp_path / "none.toml"))
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    at.switch_page("../../pages/data.py").run()
    assert not at.exception, at.exception
    labels = [m.label for m in at.metric]
    assert "未取り込み（受信ファイル）" in labels and "統計APIの残り回数（1時間）" in labels
    assert next(m for m in at.metric if m.label == "未取り込み（受信ファイル）").value != "0 B"
    at.button(key="data_load_now").click().run()
    assert not at.exception, at.exception
    assert any("1件を取り込みました" in s.value and "隔離1件" in s.value for s in at.success)
    quarantine = at.dataframe[0].value  # the first table on the page
    assert list(quarantine["reason"]) == ["event has no valid timestamp"]
    assert next(m for m in at.metric if m.label == "未取り込み（受信ファイル）").value == "0 B"


def test_data_page_says_plainly_when_the_database_refused_part_of_a_round(demo_copy, monkeypatch, tmp_path):
    from dashboard.intake import loader
    from dashboard.core import storage

    con = storage.connect(demo_copy)
    con.execute("create unique index customers_one_user on customers (line_user_id)")
    user = con.execute("select line_user_id from customers where line_user_id is not null limit 1").fetchone()[0]
    spool = tmp_path / "spool"
    spool.mkdir()
    link = {"type": "accountLink", "mode": "active", "timestamp": 1767225600000, "webhookEventId": "01REFUSED",
            "source": {"type": "user", "userId": user}, "link": {"result": "ok", "nonce": "CNEW.x"}}
    (spool / "20260101-00.jsonl").write_text(json.dumps(
        {"kind": "webhook", "received_at": "2026-01-01T00:00:01+00:00",
         "body": json.dumps({"destination": "U0", "events": [link]})}) + "\n")
    assert loader.load_once(con, spool).refused == 1
    con.close()
    monkeypatch.setenv("DASHBOARD_DB", str(demo_copy))
    monkeypatch.setenv("DASHBOARD_SPOOL", str(spool))
    monkeypatch.setenv("DASHBOARD_SECRETS_FILE", str(tmp_path / "none.toml"))
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    at.switch_page("../../pages/data.py").run()
    assert not at.exception, at.exception
    (error,) = [e.value for e in at.error]
    assert "データベースが 1 件" in error and "Constraint Error" in error and "残りはすべて取り込み済み" in error
