"""The walls between the wings (README "Layout"), read from the code with ast: a wall is kept by this
test, not by memory.

A wall with an exception names it here with its reason. The SQL allowances are a ratchet: a file may
not gain SQL text, and when it loses some the test asks for its allowance to be lowered, so the list
only shrinks (issue 13: every statement moves to queries/).
"""
from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "dashboard"
WINGS = ("core", "analytics", "audience", "messaging", "line", "intake", "access", "web", "checkup", "scenarios",
         "warehouse")
# the package root holds the entry points that wire the wings: the command line, the server's
# background work and its health route
ENTRY_POINTS = {"__init__.py", "__main__.py", "worker.py", "health.py"}


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def product() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py")) + sorted((ROOT / "pages").glob("*.py")) + [ROOT / "app.py"]


@cache
def tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def imported(path: Path) -> set[str]:
    """Every module the file imports, anywhere in it (also inside functions): `from a.b import c` gives
    a.b and a.b.c (c may be a module)."""
    names: set[str] = set()
    for node in ast.walk(tree(path)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def imports_top(path: Path, top: str) -> bool:
    return any(name == top or name.startswith(top + ".") for name in imported(path))


def module_file(name: str) -> Path | None:
    base = ROOT.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def closure(start: Path) -> dict[str, set[str]]:
    """The files of this tree that `start` reaches through imports, each with what it imports."""
    seen: dict[str, set[str]] = {}
    todo = [start]
    while todo:
        path = todo.pop()
        if rel(path) in seen:
            continue
        names = imported(path)
        seen[rel(path)] = names
        for name in names:
            parts = name.split(".")
            for i in range(1, len(parts) + 1):  # a.b.c also loads a and a.b
                found = module_file(".".join(parts[:i]))
                if found is not None and found.is_relative_to(ROOT) and rel(found) not in seen:
                    todo.append(found)
    return seen


# ---- the layout ----------------------------------------------------------------------------------


def test_every_module_stands_in_a_wing():
    flat = sorted(p.name for p in PACKAGE.glob("*.py") if p.name not in ENTRY_POINTS)
    assert flat == [], f"modules outside the wings: {flat} (move each into one of {WINGS})"
    for wing in WINGS:
        init = PACKAGE / wing / "__init__.py"
        assert init.is_file() and ast.get_docstring(tree(init)), f"{rel(init)}: a one-sentence docstring says what lives here"
    unknown = sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name not in WINGS + ("__pycache__",))
    assert unknown == [], f"folders that are no wing: {unknown} (add the wing here and in the README Layout)"


def test_the_product_and_the_benchmarks_never_import_the_tests():
    offenders = [rel(p) for p in product() + sorted((ROOT / "bench").rglob("*.py")) if imports_top(p, "tests")]
    assert offenders == [], f"import tests/ (shared code belongs in the product, e.g. dashboard/line/sandbox_process.py): {offenders}"


# ---- pages and web/ never touch DuckDB ---------------------------------------------------------------


def test_pages_and_web_never_import_duckdb():
    files = sorted((ROOT / "pages").glob("*.py")) + sorted((PACKAGE / "web").rglob("*.py")) + [ROOT / "app.py"]
    offenders = [rel(p) for p in files if imports_top(p, "duckdb")]
    assert offenders == [], f"import duckdb (ask a module of another wing instead): {offenders}"


# ---- only web/ and pages/ import Streamlit ------------------------------------------------------------

STREAMLIT_EXCEPTIONS = {
    "dashboard/access/login_routes.py": "_may_see_metrics() reads the option server.address (where Streamlit listens) "
                                        "to decide whether the single local user may see /_stcore/metrics",
}


def test_only_web_and_pages_import_streamlit():
    allowed = ("dashboard/web/", "pages/", "app.py")
    users = {rel(p) for p in product() if imports_top(p, "streamlit")}
    offenders = sorted(u for u in users if not u.startswith(allowed) and u not in STREAMLIT_EXCEPTIONS)
    assert offenders == [], (f"import streamlit outside web/ and pages/: {offenders} (move the Streamlit part to web/, "
                             f"or name the file in STREAMLIT_EXCEPTIONS with the reason)")
    stale = sorted(set(STREAMLIT_EXCEPTIONS) - users)
    assert stale == [], f"no longer import streamlit: strike them from STREAMLIT_EXCEPTIONS: {stale}"


# ---- the receiver never opens the database --------------------------------------------------------------

DATABASE = ("duckdb", "dashboard.core.storage", "dashboard.core.queries")


def test_the_receiver_reaches_nothing_that_opens_the_database():
    reached = closure(PACKAGE / "intake" / "receiver.py")
    offenders = sorted(f"{path} imports {name}" for path, names in reached.items() for name in names
                       if any(name == d or name.startswith(d + ".") for d in DATABASE))
    assert offenders == [], f"the receiver must never open DuckDB (its own process, DESIGN §4): {offenders}"


# ---- only the send engine calls LINE's send endpoints -------------------------------------------------

SEND_CALLS = {"push", "multicast", "narrowcast", "broadcast", "reply", "push_message", "push_message_with_http_info",
              "multicast_with_http_info", "narrowcast_with_http_info", "broadcast_with_http_info", "reply_message",
              "reply_message_with_http_info"}
SEND_PATH = re.compile(r"/v2/bot/message/(push|multicast|narrowcast|broadcast)\b")
SEND_EXCEPTIONS = {
    "dashboard/line/api.py": "the one wrapper of line-bot-sdk's send methods (retry key, aggregation unit, LINE's "
                             "errors turned into ours); only the send engine calls it",
}
SEND_ENGINE = "dashboard/messaging/sending.py"


def send_calls(path: Path) -> list[str]:
    found = []
    for node in ast.walk(tree(path)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in SEND_CALLS:
            found.append(f"{rel(path)}:{node.lineno} .{node.func.attr}()")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and SEND_PATH.search(node.value):
            found.append(f"{rel(path)}:{node.lineno} {node.value!r}")
    return found


def test_only_the_send_engine_calls_lines_send_endpoints():
    calls = {rel(p): send_calls(p) for p in product()}
    offenders = [c for path, found in calls.items() if path != SEND_ENGINE and path not in SEND_EXCEPTIONS
                 for c in found]
    assert offenders == [], f"only {SEND_ENGINE} sends (plan -> ledger -> batches): {offenders}"
    assert calls[SEND_ENGINE], "the send engine calls LINE's send endpoints (or this wall no longer sees it)"


# ---- SQL lives in queries/ --------------------------------------------------------------------------

# A string that opens like a SQL statement, or like a fragment glued into one. House SQL is lower-case
# (STYLE.md); a sentence starts with a capital letter, so text for people is not taken for SQL.
SQL = re.compile(r"""^\s*(?:
    (?:select|SELECT)\b[\s\S]*\b(?:from|FROM)\b
  | (?:with|WITH)\s+\w+\s+(?:as|AS)\s*\(
  | (?:insert|INSERT)\s+(?:or\s+\w+\s+)?(?:into|INTO)\b
  | (?:update|UPDATE)\s+\w+\s+(?:set|SET)\b
  | (?:delete|DELETE)\s+(?:from|FROM)\b
  | (?:create|CREATE)\s+(?:or\s+replace\s+)?(?:temp(?:orary)?\s+)?(?:table|view|index|unique\s+index|sequence|macro|schema)\b
  | (?:drop|DROP)\s+(?:table|view|index|sequence|macro)\b
  | (?:alter|ALTER)\s+(?:table|TABLE)\b
  | (?:begin|BEGIN)(?:\s+transaction)?\s*;?\s*$
  | (?:commit|COMMIT|rollback|ROLLBACK|checkpoint|CHECKPOINT)\s*;?\s*$
  | (?:attach|ATTACH)\s+['"$]
  | (?:detach|DETACH)\s+\w+\s*;?\s*$
  | (?:copy|COPY)\s+(?:from\s+database\b|\w+\s+(?:to|from)\s+['"$])
  | (?:pragma|PRAGMA|install|INSTALL|load|LOAD)\s+\w+\s*;?\s*$
  | (?:set|SET)\s+\w+\s*=
  | (?:and|or|where|join|left\s+join|group\s+by|order\s+by)\s+[\w.]+\s*(?:=|in\b|is\b|<|>|not\b|on\b)
)""", re.X)

SQL_HOME = {
    "dashboard/audience/rules.py": "the rule compiler: builds one parameterised query from a rule tree (values "
                                   "bound, columns from fixed lists)",
}
_TX = "begin/commit/rollback by hand: one storage.transaction() helper replaces them"
# file: (SQL strings today, why they are still there). Lower a number when you move statements out.
SQL_ALLOWANCES = {
    "dashboard/core/backup.py": (3, "attach/copy/detach of the backup file: the target path and the source database's "
                                    "name are not bindable values (identifiers and a path, quoted)"),
    "dashboard/core/storage.py": (3, "transaction() itself: its begin, commit and rollback"),
    "bench/measure.py": (2, "outside the product: the build's version and row counts"),
    "bench/pandas_side.py": (5, "outside the product: CSV exports of fixed columns"),
    "bench/scenarios.py": (3, "outside the product: the synthetic friends, events and enrolments it builds"),
    "bench/ingest.py": (4, "outside the product: the sample of users it spools for and row counts before and after"),
}


def docstrings(module: ast.Module) -> set[int]:
    found = set()
    for node in ast.walk(module):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def sql_strings(path: Path) -> list[tuple[int, str]]:
    module = tree(path)
    skip = docstrings(module)
    hits = []
    for node in ast.walk(module):
        if isinstance(node, ast.JoinedStr):  # an f-string: its text with {} where values are formatted in
            skip.update(id(v) for v in node.values)
            text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
            if SQL.match(text):
                hits.append((node.lineno, text))
    for node in ast.walk(module):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip \
                and SQL.match(node.value):
            hits.append((node.lineno, node.value))
    return sorted(hits)


def test_sql_text_lives_in_queries():
    files = product() + sorted((ROOT / "bench").rglob("*.py"))
    counts = {rel(p): sql_strings(p) for p in files if rel(p) not in SQL_HOME}
    grown = {path: [f"line {n}: {text[:60]!r}" for n, text in hits]
             for path, hits in counts.items() if len(hits) > SQL_ALLOWANCES.get(path, (0, ""))[0]}
    assert grown == {}, (f"SQL text outside queries/ (one statement per file, values bound): {grown} (move it to "
                         f"queries/; only where it cannot go yet, raise the file's SQL_ALLOWANCES with the reason)")
    shrunk = {path: len(counts.get(path, [])) for path, (allowed, _) in SQL_ALLOWANCES.items()
              if len(counts.get(path, [])) < allowed}
    assert shrunk == {}, f"fewer SQL strings now: lower (or strike) their SQL_ALLOWANCES: {shrunk}"


@pytest.mark.parametrize("text", [
    "select count(*) from friends", "insert into audit_log (actor) values ($a)", "begin", "commit",
    "update deliveries set status = $s", "delete from segments where segment_id = $id",
    "create or replace temp table t as select 1", " and detail = $d", "with x as (select 1) select * from x",
])
def test_the_sql_wall_sees_sql(text):
    assert SQL.match(text)


@pytest.mark.parametrize("text", [
    "Select a segment from the list", "load the webhook spool into the database (exactly once)",
    "copy the database to a dated file", "select", "Commit", "配信を開始しました", "begin the send at 20:00",
])
def test_the_sql_wall_leaves_words_for_people_alone(text):
    assert not SQL.match(text)


# ---- the router routes; pages call functions (issue 13 point 5) --------------------------------------

def test_pages_are_routed_and_call_functions():
    """No page finds itself by its caller's frame, no question is named by a string: navigation.py
    hands the page its frame (ui.context()), and a page asks `ui.ask(f, metrics.x)`."""
    found = []
    for path in sorted((ROOT / "pages").glob("*.py")) + sorted((ROOT / "dashboard" / "web").glob("*.py")):
        for node in ast.walk(tree(path)):
            if isinstance(node, ast.Attribute) and node.attr == "_getframe" or (
                    isinstance(node, (ast.Import, ast.ImportFrom)) and "inspect" in imported(path)):
                found.append(f"{rel(path)}:{node.lineno} frame inspection")
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("ask", "audience_question") and len(node.args) >= 2
                    and isinstance(node.args[1], ast.Constant)):
                found.append(f"{rel(path)}:{node.lineno} a question named by a string")
    for path in sorted((ROOT / "pages").glob("*.py")):
        if "ui.context()" not in path.read_text(encoding="utf-8"):
            found.append(f"{rel(path)}: does not start with f = ui.context()")
    assert found == [], found
