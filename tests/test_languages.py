"""Japanese UI means Japanese everywhere, English UI English everywhere (issue 19.9): every page is
rendered under AppTest in each language, and every text a person reads — titles, captions,
messages, widget labels, options, placeholders and help, table headers, chart titles, axes and
legends — is searched for words of the other language outside a short allow-list."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parent.parent / "dashboard" / "web" / "navigation.py"
PAGES = sorted(p.stem for p in (APP.parent.parent / "pages").glob("*.py"))

# Words that stay as they are in a Japanese UI: names of things and formats.
ALLOWED_LATIN = {"LINE", "CSV", "URL", "ID", "IDs", "JSON", "QR", "API", "Flex", "JST", "UTC", "Asia", "Tokyo",
                 "https", "http", "com", "example", "duckdb", "OA", "Manager", "OIDC", "Webhook", "Insight",
                 "Shift_JIS", "UTF", "BOM", "Excel", "validate", "English", "Language", "SKU", "POP", "CRM",
                 "interest"}   # interest: the tag prefix an operator types ("interest:skincare")
# What an English UI may show in Japanese: the language switch and the LINE-like preview's account name.
ALLOWED_JA = {"日本語", "言語"}
_PROTO_TEXT = ("label", "help", "placeholder", "options", "body", "title", "text", "caption", "default_text")
_SPEC_TEXT = ("text", "title", "name", "ticktext", "hovertemplate", "texttemplate")
_LATIN = re.compile(r"(?<![A-Za-z0-9_./:@-])[A-Za-z][A-Za-z_]{2,}(?![A-Za-z0-9_]*[.:/@=-][A-Za-z0-9])")
_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]+")
_PLACEHOLDER = re.compile(r"%\{[^}]*\}|<[^>]+>|`[^`]*`|\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b")  # a setting's name stays


def _proto_strings(message, out: list[str]) -> None:
    for field, value in message.ListFields():
        if field.type == field.TYPE_MESSAGE:
            for item in (value if field.is_repeated else [value]):
                _proto_strings(item, out)
        elif field.type == field.TYPE_STRING and field.name in _PROTO_TEXT:
            out.extend(value if field.is_repeated else [value])


def _spec_strings(node, out: list[str], key: str = "") -> None:
    if isinstance(node, dict):
        for k, v in node.items():
            if k in ("template", "meta", "customdata", "x", "y", "z", "ids", "hovertext"):
                continue   # the theme, and the data itself (names of friends, segments …)
            _spec_strings(v, out, k)
    elif isinstance(node, list):
        for v in node:
            _spec_strings(v, out, key)
    elif isinstance(node, str) and key in _SPEC_TEXT:
        out.append(node)


def texts_of(at) -> list[str]:
    """Every text a person reads on the rendered page (not the data in tables and charts)."""
    out: list[str] = []

    def walk(node):
        proto = getattr(node, "proto", None)
        kind = getattr(node, "type", "")
        if kind == "arrow_data_frame":
            out.extend(str(c) for c in node.value.columns)
        elif kind == "plotly_chart" and proto is not None:
            _spec_strings(json.loads(proto.spec or "{}"), out)
        elif proto is not None and kind not in ("html", "code", "json"):
            _proto_strings(proto, out)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return [s for s in out if s]


def account_words(db) -> set[str]:
    """What the account itself holds is shown as it is, in whatever language it was written:
    delivery titles, rich-menu areas, survey answers, genres and tags, segment and user names."""
    from dashboard.core import storage

    con = storage.connect(db, read_only=True)
    try:
        words = set()
        for sql in ("select title from deliveries", "select area from rollup_richmenu_daily",
                    "select detail from events where type = 'survey_answer'", "select genre from rollup_friend_activity",
                    "select tag from friend_tags", "select name from segments", "select created_by from deliveries",
                    "select actor from audit_log"):
            words |= {r[0] for r in con.execute(f"select distinct * from ({sql})").fetchall() if r[0]}
        return words | {"local"}   # the user name on a machine without log-in
    finally:
        con.close()


def foreign(text: str, lang: str, data: set[str] = frozenset()) -> list[str]:
    """Words of the other language in `text`, once the account's own words are taken out."""
    if text in data or text.split(" #")[0] in data:   # a value, or a title with its number
        return []
    for word in sorted(data, key=len, reverse=True):
        if len(word) > 1 and word in text:
            text = text.replace(word, " ")
    text = _PLACEHOLDER.sub(" ", text)
    if lang == "ja":
        return [w for w in _LATIN.findall(text) if w not in ALLOWED_LATIN]
    return [w for w in _JAPANESE.findall(text) if w not in ALLOWED_JA]


@pytest.fixture(scope="module")
def app_db(demo_db, tmp_path_factory):
    import shutil

    path = tmp_path_factory.mktemp("languages") / "languages.duckdb"
    shutil.copy(demo_db, path)
    return path


@pytest.fixture(scope="module")
def data_words(app_db) -> set[str]:
    return account_words(app_db)   # before any page opens the file read-write


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_every_page_speaks_one_language(app_db, data_words, sandbox, monkeypatch, lang):
    monkeypatch.setenv("DASHBOARD_DB", str(app_db))
    monkeypatch.setenv("LINE_API_BASE_URL", sandbox.url)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["lang"] = lang
    at.run()
    found, data = {}, data_words
    for page in PAGES:
        at.switch_page(f"../../pages/{page}.py").run()
        assert not at.exception, (page, at.exception)
        bad = sorted({w for s in texts_of(at) for w in foreign(s, lang, data)})
        # Streamlit's own English ("Choose options", "Select all") is replaced on every multiselect
        bad += [f"multiselect {m.label!r} uses Streamlit's own texts" for m in at.multiselect
                if not m.proto.placeholder or m.proto.select_all]
        if bad:
            found[page] = bad
    assert not found, json.dumps(found, ensure_ascii=False)


def test_the_check_itself_finds_the_other_language():
    assert foreign("チェック: not following", "ja") == ["not", "following"]
    assert foreign("LINEのCSVをダウンロード（URL, ID）", "ja") == []
    assert foreign("設定で DASHBOARD_PUBLIC_BASE_URL を指定", "ja") == []
    assert foreign("Sent 3 of 4 — 送信済み", "en") == ["送信済み"]
    assert foreign("言語 / Language: 日本語", "en") == []
    assert foreign("期間限定セール #3", "en", {"期間限定セール"}) == []   # the account's own title
