"""An operator's first hour (issue 19): after a real LINE sync against the sandbox, with deliveries of
every kind and LINE's null answers (under 20), every page opens without an exception; a page that
does fail shows a sentence with a reference, never a traceback."""
from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.web import delivery_view, errors
from dashboard.line import api
from dashboard.messaging import sending, staff
from dashboard.core import storage
from dashboard.intake import sync
from dashboard.access.roles import User

APP = Path(__file__).resolve().parent.parent / "dashboard" / "web" / "navigation.py"
PAGES = sorted(p.stem for p in (APP.parent.parent / "pages").glob("*.py"))
MESSAGES = [{"type": "text", "text": "冬のセール https://example.com/winter"}]


@pytest.fixture
def synced(demo_copy, sandbox, monkeypatch):
    """The demo account after today's sends of every kind and a full LINE sync (sandbox)."""
    con = storage.connect(demo_copy)
    ids = [r[0] for r in con.execute("select user_id from friends where is_following order by user_key limit 400").fetchall()]
    sandbox.configure(followers=ids)
    clients = api.clients(sandbox.url, "token")
    for user_id in ids[:2]:   # a test send reaches only the staff list (issue 12)
        staff.add(con.cursor(), User("ada", "admin", "local"), user_id)
    try:
        # sizes: 3 (every LINE number null), 30 (clicks null, opens not), 400 (none null)
        for delivery_id, kind, n in (("t_small", "multicast", 3), ("t_mid", "multicast", 30),
                                     ("t_big", "multicast", 400), ("t_test", "test", 2)):
            sending.plan(con, delivery_id=delivery_id, user_ids=ids[:n], messages=MESSAGES, kind=kind,
                         title=f"{kind} {n}")
            assert sending.run(con, delivery_id, clients).status == "sent"
        results = sync.run(con, clients=clients)
        assert {r.part for r in results} == set(sync.PARTS)
        nulls = con.execute("select count(*) from delivery_stats where unique_clicks is null").fetchone()[0]
        assert nulls >= 1, "the sandbox must answer null (under 20) for at least one delivery"
    finally:
        clients.close()
        con.close()
    monkeypatch.setenv("DASHBOARD_DB", str(demo_copy))
    monkeypatch.setenv("LINE_API_BASE_URL", sandbox.url)
    return demo_copy


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_every_page_opens_after_a_sync(synced, lang):
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["lang"] = lang
    at.run()
    for page in PAGES:
        at.switch_page(f"../../pages/{page}.py").run()
        assert not at.exception, (page, at.exception)
        if page == "deliveries":
            table, tests = (d.value for d in at.dataframe)   # deliveries, then test sends
            # today's sends are in the default period; the test send is listed apart
            assert {"multicast 3", "multicast 30", "multicast 400"} <= set(table.iloc[:, 1])
            assert "test 2" not in set(table.iloc[:, 1])
            assert list(tests.iloc[:, 1]) == ["test 2"]
            cells = set(table.iloc[:, 7])   # unique clicks
            assert "< 20" in cells


def test_a_failing_page_shows_a_sentence_and_a_reference_never_a_traceback(demo_copy, monkeypatch, caplog):
    monkeypatch.setenv("DASHBOARD_DB", str(demo_copy))
    monkeypatch.setattr(errors, "RERAISE", False)

    def broken(*_args, **_kwargs):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(delivery_view, "table", broken)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    with caplog.at_level(logging.ERROR, logger="dashboard.web.errors"):
        at.switch_page("../../pages/deliveries.py").run()
    assert not at.exception
    [message] = [e.value for e in at.error]
    assert "このページを表示できませんでした" in message and "ZeroDivisionError" not in message
    ref = message.split("参照番号 ")[1].split(" ")[0]
    [record] = [r for r in caplog.records if ref in r.getMessage()]
    assert record.exc_info and record.exc_info[0] is ZeroDivisionError   # the details: in the log only


@pytest.mark.parametrize("value", [None, float("nan"), pd.NA, pd.NaT])
def test_line_null_is_under_20_whatever_pandas_makes_of_it(value):
    assert delivery_view.aggregate(value, True, True, "ja") == "< 20"
    assert delivery_view.aggregate(value, pd.NA, pd.NA, "en") == "not synced"
    assert delivery_view.aggregate(1234, True, True, "ja") == "1,234 (+ < 20)"
    frame = pd.DataFrame({"v": pd.array([None, 25], dtype="Int64")})   # nullable ints give pd.NA
    assert [delivery_view.aggregate(v, False, True, "ja") for v in frame["v"]] == ["< 20", "25"]


def test_a_row_opens_one_delivery(synced):
    from dashboard.core import storage

    con = storage.connect(synced)   # as actions.submit keeps it: the audience and each exclusion with its count
    con.execute("update deliveries set plan_exclusions = $e where delivery_id = 't_small'",
                {"e": '{"audience": 10, "exclusions": [["frequency_cap", 6, {"cap": 3, "days": 7}], '
                      '["not_following", 1, {}]]}'})
    con.close()
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    at.switch_page("../../pages/deliveries.py").run()
    picker = at.selectbox(key="dlv_pick")
    assert any(o.endswith(" multicast 3") for o in picker.options)   # "2026-12-03 02:10 multicast 3"
    picker.set_value("t_small").run()
    assert not at.exception, at.exception
    said = " ".join(m.value for m in at.markdown)
    assert "配信対象:** 条件で選んだ友だち" in said and "送信完了" in said
    tables = [d.value for d in at.dataframe]
    stats = next(tb for tb in tables if "クリック（ユニーク・LINE集計）" in tb.columns)
    assert stats.iloc[0]["クリック（ユニーク・LINE集計）"] == "< 20"     # 3 recipients: LINE says null
    ledger = next(tb for tb in tables if "バッチ" in tb.columns)
    assert ledger["送信済み"].sum() == 3
    after = next(tb for tb in tables if "配信後" in tb.columns)
    assert list(after["配信後"]) == [f"{n}日目" for n in range(7)]
    excluded = next(tb for tb in tables if "段階" in tb.columns)
    assert list(excluded["人数"]) == ["10", "−6", "−1", "3"]
    assert excluded["段階"].iloc[0] == "条件に合った友だち（除外前）" and excluded["段階"].iloc[-1] == "送信対象（除外後）"
    assert not [w for w in excluded["段階"] if "excl." in w or "frequency" in w]


def test_weekly_bars_are_drawn_behind_the_reaction_lines():
    from dashboard.web import charts

    frame = pd.DataFrame({"sent_at": pd.to_datetime(["2026-11-02 12:00", "2026-11-04 12:00"]).tz_localize("Asia/Tokyo"),
                          "reaction_rate": [0.1, 0.2], "is_promotion": [True, False], "title": ["a", "b"]})
    fig = charts.reactions_per_delivery(frame, "ja")
    bars = [tr for tr in fig.data if tr.type == "bar"]
    lines = [tr for tr in fig.data if tr.type == "scatter"]
    # traces of the overlaying axis (y2) are drawn above those of y: the lines must be on y2
    assert {b.yaxis for b in bars} == {"y"} and {ln.yaxis for ln in lines} == {"y2"}
    assert fig.layout.yaxis2.side == "left" and fig.layout.yaxis2.tickformat == ".0%"


def test_date_axes_use_numbers_not_english_month_names():
    from dashboard.web import charts

    frame = pd.DataFrame({"day": pd.date_range("2026-08-01", periods=120).date, "adds": 1, "blocks": 0})
    fig = charts.adds_blocks(frame, "ja")
    stops = [s.value for s in fig.layout.xaxis.tickformatstops]
    assert stops and all("%b" not in v and "%B" not in v for v in stops)   # %b = "Nov"
    # a chart without dates keeps Plotly's numbers alone
    assert not charts._dates_on_x(charts.go.Figure(charts.go.Bar(x=[1, 2], y=[3, 4])))


def test_in_the_browser_deliveries_open_after_a_sync_with_test_sends_apart(synced, sandbox, tmp_path, artifacts):
    """Points 1 and 5 as an operator sees them: after a LINE sync with null answers, 配信 opens in
    Chromium without an error, and the test send is listed apart under its own heading."""
    from tests.test_browser import ARGS, CHROMIUM, _require_browser, _start_app, _stop_app

    _require_browser()
    from playwright.sync_api import sync_playwright

    proc, url = _start_app({"DASHBOARD_DB": str(synced), "LINE_API_BASE_URL": sandbox.url}, tmp_path)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 2400}, locale="ja-JP")
            page.goto(url + "/deliveries")
            page.get_by_text("配信 — 1通ごとの成果").wait_for(timeout=120_000)
            page.get_by_role("heading", name="テスト送信（配信の集計には含めません）").wait_for(timeout=60_000)
            page.wait_for_timeout(1500)
            page.screenshot(path=str(artifacts / "deliveries_after_sync.png"), full_page=True)
            assert page.locator('[data-testid="stException"]').count() == 0
            assert page.get_by_text("Traceback").count() == 0 and page.get_by_text("TypeError").count() == 0
            browser.close()
    finally:
        _stop_app(proc)
