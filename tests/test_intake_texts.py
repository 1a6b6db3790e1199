"""Import errors and sync results in the UI language (issue 19, point 9): modules give codes with
parameters (a Said is also its English text, for the CLI and the stored record); pages render them."""
from __future__ import annotations

import re

from dashboard.core import storage
from dashboard.intake import imports
from dashboard.intake.texts import Said, say

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def test_an_import_rejection_and_its_bad_rows_are_said_in_japanese_and_english(tmp_path):
    con = storage.connect(tmp_path / "i.duckdb")
    rejected = imports.run_import(con, "purchases", "注文番号,購入日\nA-1,2026-01-01\n".encode(), file_name="p.csv")
    assert rejected.status == "rejected" and isinstance(rejected.message, Said)
    assert str(rejected.message).startswith("required column(s) missing: amount (e.g. 金額)")   # the CLI's words
    assert say(rejected.message, "ja").startswith("必須の列がありません: amount（例: 金額）")
    data = "注文番号,購入日,金額,顧客ID\nA-1,2026-01-01,abc,C1\nA-2,,100,C2\nA-2,2026-01-02,100,C2\n".encode()
    report = imports.run_import(con, "purchases", data, file_name="p.csv", dry_run=True)
    reasons = {line: why for line, why in report.bad_rows}
    assert reasons[2] == "金額 'abc' is not a number"
    assert say(reasons[2], "ja") == "金額「abc」: 数値ではありません"
    assert say(reasons[3], "ja") == "購入日 が空です"
    assert all(not JAPANESE.search(say(why, "en").replace("金額", "").replace("購入日", "").replace("注文番号", ""))
               for why in reasons.values())
    empty = imports.run_import(con, "tags", b"", file_name="e.csv")
    assert say(empty.message, "ja") == "ファイルが空です" and empty.message == "the file is empty"
    con.close()


def test_sync_results_are_said_in_the_pages_language_live_and_after_a_reload(demo_copy, monkeypatch, tmp_path,
                                                                              sandbox):
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    app = Path(__file__).resolve().parent.parent / "dashboard" / "web" / "navigation.py"
    sandbox.configure(followers_forbidden=True)     # one part skipped with LINE's 403, the others run
    for name, value in {"DASHBOARD_DB": str(demo_copy), "LINE_API_BASE_URL": sandbox.url,
                        "DASHBOARD_SPOOL": str(tmp_path / "spool")}.items():
        monkeypatch.setenv(name, value)
    at = AppTest.from_file(str(app), default_timeout=120)
    at.run()
    at.switch_page("../../pages/data.py").run()
    at.button(key="data_sync_now").click().run()
    assert not at.exception, at.exception
    said = [m.value for m in [*at.info, *at.error]]
    assert any(s.startswith("友だちID一覧: スキップ — 友だちのID一覧は認証済み") for s in said), said
    assert any("今月の送信済み" in s for s in said), said
    english = ("LINE answered", "deliveries", "day(s)", "sent so far", "skipped", "followers listed")
    assert not [s for s in said if any(w in s for w in english)], said
    parts = next(d.value for d in at.dataframe if "友だちID一覧" in d.value.iloc[:, 0].tolist())
    assert not [m for m in parts.iloc[:, 3] if any(w in m for w in english)], parts   # stored, read back
    assert "スキップ" in parts.iloc[:, 1].tolist()


def test_a_too_long_cell_and_an_unreadable_file_are_said_in_words(tmp_path):
    con = storage.connect(tmp_path / "w.duckdb")
    data = ("顧客ID,氏名\n" + "C" * 201 + ",山田\n").encode()
    report = imports.run_import(con, "customers", data, file_name="c.csv", dry_run=True)
    (line, why), = report.bad_rows
    assert say(why, "ja").startswith("顧客ID「C") and say(why, "ja").endswith("」: 200文字を超えています"), say(why, "ja")
    assert "longer than 200 characters" in say(why, "en") and not JAPANESE.search(say(why, "en").replace("顧客ID", ""))
    huge = ('顧客ID,氏名\nC1,"' + "x" * 200_000 + '"\n').encode()     # over the csv module's field limit
    rejected = imports.run_import(con, "customers", huge, file_name="c.csv")
    assert rejected.status == "rejected"
    assert say(rejected.message, "ja").startswith("2行目がCSVとして読めません"), say(rejected.message, "ja")
    assert say(rejected.message, "en").startswith("line 2: not valid CSV")
    con.close()


def test_a_sync_part_that_breaks_says_a_reference_not_a_traceback(demo_copy, sandbox, monkeypatch, caplog):
    from dashboard.intake import sync, sync_parts

    def broken(run):
        raise KeyError("secret-looking internal detail")

    monkeypatch.setenv("LINE_API_BASE_URL", sandbox.url)
    monkeypatch.setitem(sync_parts.PART_FUNCTIONS, "quota", broken)
    con = storage.connect(demo_copy)
    (result,) = sync.run(con, ["quota"])
    con.close()
    assert result.status == "failed"
    ja, en = say(result.message, "ja"), say(result.message, "en")
    assert ja.startswith("内部エラー（参照番号 ") and "KeyError" not in ja and "secret-looking" not in ja
    ref = result.message.params["ref"]
    assert ref in en and any(ref in r.getMessage() and r.exc_info for r in caplog.records)   # details in the log
