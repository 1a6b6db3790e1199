"""Every page runs under AppTest on a demo database, with its main elements and no exception."""
from __future__ import annotations

import datetime as dt

import pytest
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parent.parent / "dashboard" / "web" / "navigation.py"

PAGES = {
    # page file: (minimum plotly charts, minimum dataframes, minimum metrics)
    "pages/overview.py": (2, 0, 9),
    "pages/acquisition.py": (3, 1, 0),
    "pages/funnel.py": (2, 1, 4),
    "pages/cohorts.py": (2, 1, 0),
    "pages/engagement.py": (3, 0, 0),
    "pages/deliveries.py": (1, 1, 0),
    "pages/segments.py": (2, 1, 1),
}


@pytest.fixture
def app(demo_copy, monkeypatch):
    monkeypatch.setenv("DASHBOARD_DB", str(demo_copy))
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def _elements(at, kind):
    return list(at.get(kind))


@pytest.mark.parametrize("page", list(PAGES))
def test_page_renders_its_elements(app, page):
    app.switch_page("../../" + page).run()
    assert not app.exception, app.exception
    charts, tables, metrics = PAGES[page]
    assert len(_elements(app, "plotly_chart")) >= charts
    assert len(app.dataframe) >= tables
    assert len(app.metric) >= metrics
    # every page offers its data as CSV
    assert len(_elements(app, "download_button")) >= 1
    # every page says what its numbers mean
    assert any("定義" in c.value for c in app.caption)


def test_japanese_by_default_and_english_switch(app):
    assert app.title[0].value.startswith("概要")
    assert app.metric[0].label == "友だち数（累計）"
    app.radio(key="lang").set_value("en").run()
    assert not app.exception
    assert app.title[0].value.startswith("Overview")
    assert app.metric[0].label == "Friends (all time)"


def shown_period(app) -> tuple[dt.date, dt.date]:
    """The period the sidebar's caption under the preset shows ("2026-11-06 – 2026-12-03")."""
    text = next(c.value for c in app.sidebar.caption if " – " in c.value and len(c.value) == 23)
    first, last = text.split(" – ")
    return dt.date.fromisoformat(first), dt.date.fromisoformat(last)


def test_period_presets_and_picked_dates(app):
    from dashboard.web.periods import preset_range

    d = dt.date(2026, 12, 3)
    assert preset_range("7", d) == (dt.date(2026, 11, 27), d)
    assert preset_range("month", d) == (dt.date(2026, 12, 1), d)
    assert preset_range("last_month", d) == (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    assert preset_range("last_month", dt.date(2027, 1, 15)) == (dt.date(2026, 12, 1), dt.date(2026, 12, 31))
    app.selectbox(key="period_preset.ja").set_value("custom").run()
    app.date_input(key="period_first").set_value(dt.date(2026, 11, 1))
    app.date_input(key="period_last").set_value(dt.date(2026, 11, 14)).run()
    assert not app.exception and not app.error and len(app.metric) > 0
    app.selectbox(key="period_preset.ja").set_value("7").run()
    first, last = shown_period(app)
    assert (last - first).days == 6


def test_default_period_is_the_last_28_days_up_to_today(app):
    from zoneinfo import ZoneInfo

    from dashboard.analytics import metrics

    assert app.selectbox(key="period_preset.ja").value == "28" == str(metrics.DEFAULT_DAYS)
    first, last = shown_period(app)
    today = dt.datetime.now(ZoneInfo("Asia/Tokyo")).date()
    # the demo's newest event is on 2026-11-23: today, unless that is a whole window ago
    assert last == metrics.default_last_day(today, dt.date(2026, 11, 23))
    assert (last - first).days == 27
    # and the sidebar says when the data was refreshed and how new it is
    assert any("最新のイベント: 2026-11-23" in c.value for c in app.sidebar.caption)


def test_default_last_day_includes_today():
    from dashboard.analytics.metrics import default_last_day

    today = dt.date(2026, 12, 2)
    assert default_last_day(today, dt.date(2026, 12, 1)) == today     # was yesterday: a send today was hidden
    assert default_last_day(today, dt.date(2026, 12, 2)) == today
    assert default_last_day(today, None) == today
    assert default_last_day(today, dt.date(2026, 11, 5)) == today     # within the 28 days
    assert default_last_day(today, dt.date(2026, 11, 4)) == dt.date(2026, 11, 4)   # an old file


def test_overview_numbers_equal_report(app, demo_copy):
    """The page and `python -m dashboard report` read the same function: same numbers."""
    from dashboard.analytics import metrics, report
    from dashboard.core import storage

    first, last = shown_period(app)
    con = storage.connect(demo_copy)
    kpis = metrics.overview_kpis(con.cursor(), metrics.Period.from_dates(first, last))
    shown = {m.label: m.value for m in app.metric}
    assert shown["友だち数（累計）"] == report.fmt_value("friends", kpis["kpis"]["friends"]["value"])
    assert shown["ブロック率"] == report.fmt_value("block_rate", kpis["kpis"]["block_rate"]["value"])
    assert shown["アクティブ友だち（30日）"] == report.fmt_value(
        "active_friends", kpis["kpis"]["active_friends"]["value"])


def test_route_filter_changes_numbers(app):
    before = app.metric[2].value  # new friends
    app.multiselect(key="routes.ja").set_value(["thanks_page"]).run()
    assert not app.exception
    after = app.metric[2].value
    assert int(after.replace(",", "")) < int(before.replace(",", ""))


def test_inverted_period_is_refused_with_a_message(app):
    app.selectbox(key="period_preset.ja").set_value("custom").run()
    app.date_input(key="period_first").set_value(dt.date(2026, 11, 20))
    app.date_input(key="period_last").set_value(dt.date(2026, 11, 1)).run()
    assert not app.exception
    assert any("前" in e.value for e in app.error)
    assert len(app.metric) == 0


def test_funnel_window_slider(app):
    app.switch_page("../../pages/funnel.py").run()
    app.slider(key="funnel_window").set_value(3).run()
    assert not app.exception
    short = app.metric[2].value
    app.slider(key="funnel_window").set_value(30).run()
    assert int(app.metric[2].value.replace(",", "")) >= int(short.replace(",", ""))


def test_missing_database_says_so(monkeypatch, tmp_path):
    monkeypatch.setenv("DASHBOARD_DB", str(tmp_path / "nothing.duckdb"))
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    assert not at.exception
    assert any("nothing.duckdb" in e.value for e in at.error)


def test_overview_quota_kpi_and_a_neutral_messages_sent(app):
    from streamlit.proto.Metric_pb2 import Metric

    labels = {m.label: m for m in app.metric}
    assert "今月の残り通数（LINEの上限まで）" in labels and "今月の超過費用の見込み（今のペース）" in labels
    assert labels["今月の超過費用の見込み（今のペース）"].value.startswith("¥")
    sent = labels["今月の送信数"].proto
    assert sent.color == Metric.MetricColor.GRAY   # more messages sent is a cost, not a success
def test_a_database_held_by_another_process_gives_the_one_line_reason(demo_copy, monkeypatch):
    """Issue 12 point 6: was a raw traceback."""
    import subprocess
    import sys
    import time

    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
                               "print('held', flush=True); time.sleep(60)", str(demo_copy)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        monkeypatch.setenv("DASHBOARD_DB", str(demo_copy))
        at = AppTest.from_file(str(APP), default_timeout=60)
        at.run()
        assert not at.exception, at.exception
        errors = [e.value for e in at.error]
        assert any("データベースを開けません" in e and "held by another process" in e for e in errors), errors
        assert not any(str(demo_copy.parent) in e for e in errors)
        assert not at.metric
    finally:
        holder.kill()
        holder.wait()


def test_a_language_switch_keeps_the_choices_and_redraws_their_labels(app):
    """A keyed selectbox or multiselect would keep showing its old language's label in the browser:
    such widgets are keyed by language, and the switch carries their values over."""
    app.selectbox(key="period_preset.ja").set_value("90").run()
    app.multiselect(key="routes.ja").set_value(["thanks_page"]).run()
    app.radio(key="lang").set_value("en").run()
    assert not app.exception
    assert app.selectbox(key="period_preset.en").value == "90"
    assert app.multiselect(key="routes.en").value == ["thanks_page"]
    assert "Last 90 days" in app.selectbox(key="period_preset.en").options


def test_a_delivery_status_change_shows_on_the_next_rerun_not_after_the_cache(app, demo_copy):
    """Page questions are cached until the data's version moves (VERSIONED_TTL_S is long): a send's
    counts changing between two rollup refreshes must move it too."""
    from dashboard.analytics import metrics
    from dashboard.core import storage

    app.switch_page("../../pages/deliveries.py").run()
    cells = lambda: {str(v) for v in app.dataframe[0].value.to_numpy().ravel()}
    assert not {"424242", "424,242"} & cells()
    con = storage.connect(demo_copy)
    try:
        before = metrics.data_version(con)
        assert metrics.data_version(con) == before          # nothing changed: the cache holds
        newest = con.execute("select delivery_id from deliveries where status = 'sent' "
                             "order by sent_at desc limit 1").fetchone()[0]
        con.execute("update deliveries set sent_count = 424242 where delivery_id = $d", {"d": newest})
        assert metrics.data_version(con) != before
    finally:
        con.close()
    app.switch_page("../../pages/deliveries.py").run()
    assert not app.exception
    assert {"424242", "424,242"} & cells()
