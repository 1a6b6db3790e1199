"""CSV imports: customers (a CRM export), purchases, site visits and tags.

`python -m dashboard import <kind> FILE` and the Data page both call `run_import`. A file goes
through four steps:

1. decode: UTF-8 with or without BOM, else CP932 (Shift_JIS as Japanese Excel writes it) —
   reading and the cell parsers are in dashboard/intake/csv_values.py;
2. map its headers to fields, by Japanese or English names (FIELDS) or an explicit mapping;
3. check every row in Python, with the line number the operator sees in the file and a reason in
   plain words;
4. stage the good rows in DuckDB, compare them with the tables (queries/imports/<kind>_plan.sql)
   and write only what differs, set-based, in one transaction with the run's record.

Bad rows are never imported. The good rows of a file with bad rows are (each row is entirely in or
listed, never half): the operator fixes the listed rows and imports the same file again, and the
rows already in come back "unchanged". `strict=True` (`--strict`) rejects the whole file instead.
Columns the import does not know are listed and ignored, never guessed into attributes.
Every run, dry runs and rejected files included, is recorded in import_runs; a committed one also
writes one audit_log row.
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import logging
import re
import secrets
import sys
import time
import unicodedata
import uuid
from collections.abc import Callable
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pyarrow as pa

from dashboard.core import config, queries, storage
from dashboard.analytics import rollups
from dashboard.intake import texts
from dashboard.intake.texts import Joined, Said
from dashboard.intake.csv_values import (  # noqa: F401 (decode, email_hash, normalise_email: re-exported)
    Bad, Rejected, decode, email_hash, normalise_email, parse_amount, parse_count, parse_datetime, parse_day,
    parse_email, parse_line_user_id, read_csv, text_of)

LOG = logging.getLogger(__name__)

MAX_ERRORS_STORED = 1000
PREVIEW_ROWS = 20


# ---- fields: what each kind of file holds, and the header names that mean it ----

@dataclass(frozen=True)
class Field:
    name: str
    parse: Callable[[str, dt.tzinfo | None], object]   # (cell, account zone) -> value, or raises Bad
    arrow: pa.DataType
    aliases: tuple[str, ...]
    required: bool = False


_TIMESTAMP = pa.timestamp("us", tz="UTC")
_CUSTOMER_ID = ("customer_id", "customer no", "customer number", "member id", "member no", "顧客ID",
                "顧客番号", "顧客コード", "会員ID", "会員番号", "会員コード")
_LINE_ID = ("line_user_id", "line uid", "line userid", "LINEユーザーID", "LINE UID", "LINE内部ID")

FIELDS: dict[str, tuple[Field, ...]] = {
    "customers": (
        Field("customer_id", text_of(200), pa.string(), _CUSTOMER_ID, required=True),
        Field("email", parse_email, pa.string(), ("email", "email address", "mail", "mail address",
              "メールアドレス", "メール", "Eメール", "Eメールアドレス", "PCメールアドレス")),
        Field("name", text_of(1000), pa.string(), ("name", "full name", "customer name", "氏名", "名前",
              "お名前", "顧客名", "会員名")),
        Field("line_user_id", parse_line_user_id, pa.string(), _LINE_ID),
        Field("first_purchase_at", parse_datetime, _TIMESTAMP, ("first_purchase_at", "first purchase",
              "first purchase date", "first order date", "初回購入日", "初回購入日時", "初回注文日", "初回購入")),
        Field("orders", parse_count, pa.int64(), ("orders", "order count", "number of orders", "購入回数",
              "注文回数", "累計購入回数", "累計注文回数")),
        Field("revenue", parse_amount, pa.decimal128(14, 2), ("revenue", "total spent", "total sales",
              "lifetime value", "ltv", "累計購入金額", "累計金額", "購入金額合計", "累計売上", "総購入金額")),
    ),
    "purchases": (
        Field("order_id", text_of(200), pa.string(), ("order_id", "order no", "order number", "注文番号",
              "注文ID", "受注番号", "受注ID", "伝票番号"), required=True),
        Field("occurred_at", parse_datetime, _TIMESTAMP, ("occurred_at", "purchased_at", "purchase date",
              "order date", "ordered_at", "date", "購入日時", "購入日", "注文日時", "注文日", "受注日時",
              "受注日"), required=True),
        Field("amount", parse_amount, pa.decimal128(12, 2), ("amount", "total", "price", "金額", "購入金額",
              "注文金額", "合計金額", "支払金額", "売上金額", "税込金額"), required=True),
        Field("category", text_of(200), pa.string(), ("category", "genre", "product category", "カテゴリ",
              "カテゴリー", "商品カテゴリ", "商品カテゴリー", "ジャンル")),
        Field("customer_id", text_of(200), pa.string(), _CUSTOMER_ID),
        Field("line_user_id", parse_line_user_id, pa.string(), _LINE_ID),
    ),
    "visits": (
        Field("day", parse_day, pa.date32(), ("day", "date", "日付", "日", "年月日"), required=True),
        Field("inflow_route", text_of(200), pa.string(), ("inflow_route", "route", "source", "channel",
              "流入経路", "経路", "流入元", "参照元", "チャネル"), required=True),
        Field("visits", parse_count, pa.int64(), ("visits", "sessions", "訪問数", "訪問者数", "セッション",
              "セッション数", "アクセス数"), required=True),
    ),
    "tags": (
        Field("user_id", parse_line_user_id, pa.string(), _LINE_ID + ("user_id", "ユーザーID"), required=True),
        Field("tag", text_of(200), pa.string(), ("tag", "tags", "label", "タグ", "タグ名", "ラベル"), required=True),
        Field("tagged_at", parse_datetime, _TIMESTAMP, ("tagged_at", "date", "日時", "日付", "タグ付け日時",
              "付与日時", "登録日時")),
    ),
}
KINDS = tuple(FIELDS)
KEYS = {"customers": ("customer_id",), "purchases": ("order_id",), "visits": ("day", "inflow_route"),
        "tags": ("user_id", "tag")}
# set-based statements that write a kind's plan, in order (see each file's header)
WRITES = {"customers": ("imports/customers_upsert", "imports/customers_link_friends"),
          "purchases": ("imports/purchases_insert", "imports/purchases_update"),
          "visits": ("imports/visits_upsert",), "tags": ("imports/tags_insert",)}
queries.require(*(f"imports/{k}_plan" for k in KINDS), *(s for steps in WRITES.values() for s in steps),
                "imports/plan_summary", "imports/plan_problems", "imports/plan_preview",
                "imports/visits_unknown_routes", "imports/record_run", "imports/audit", "imports/history")


def _header_key(header: str) -> str:
    """Headers match case-, width- and space-insensitively: 'Customer ID' = 'customer_id' = 'ＣＵＳＴＯＭＥＲ　ＩＤ'."""
    return re.sub(r"[\s_\-・･\ufeff]+", "", unicodedata.normalize("NFKC", header)).casefold()


def _aliases(fields: tuple[Field, ...]) -> dict[str, str]:
    found: dict[str, str] = {}
    for f in fields:
        for alias in (f.name, *f.aliases):
            if found.setdefault(_header_key(alias), f.name) != f.name:
                raise AssertionError(f"header {alias!r} means two fields")
    return found


_ALIASES = {kind: _aliases(fields) for kind, fields in FIELDS.items()}


# ---- the report ----

@dataclass
class ImportReport:
    import_id: str
    kind: str
    file_name: str | None = None
    file_sha256: str | None = None
    actor: str = "cli"
    dry_run: bool = False
    status: str = "committed"        # committed, dry_run, rejected, failed
    message: str = ""                # why the file was rejected or the run failed
    encoding: str | None = None      # utf-8, utf-8-sig (with BOM) or cp932
    columns: dict[str, str] = field(default_factory=dict)   # file header -> field
    ignored_columns: list[str] = field(default_factory=list)
    rows_total: int = 0
    rows_ok: int = 0
    bad_rows: list[tuple[int, str]] = field(default_factory=list)  # (line in the file, reason)
    inserted: int = 0                # for a dry run: what would be
    updated: int = 0
    unchanged: int = 0
    unlinked: int = 0                # rows not linked to a LINE friend (customers, purchases)
    friends_linked: int = 0          # friends whose customer_id the import sets
    warnings: list[str] = field(default_factory=list)
    preview: pd.DataFrame | None = None   # dry runs: the first rows that would change
    started_at: dt.datetime | None = None
    seconds: float = 0.0


def _example(f: Field) -> str:
    return next((a for a in f.aliases if not a.isascii()), f.name)


def _map_columns(kind: str, header: list[str], mapping: dict[str, str] | None) -> tuple[dict[int, Field], list[str]]:
    """{column index: field} and the headers ignored because no field matches them."""
    fields = {f.name: f for f in FIELDS[kind]}
    explicit: dict[int, str] = {}
    for column, target in (mapping or {}).items():
        matches = [i for i, h in enumerate(header) if _header_key(h) == _header_key(column)]
        if not matches:
            raise Rejected(Said("imp.err.mapped_missing", column=column, columns=list(header)))
        target = (target or "").strip() or "-"
        if target not in fields and target != "-":
            raise Rejected(Said("imp.err.not_a_field", target=target, kind=kind, label=Said(f"data.kind.{kind}"), fields=list(fields)))
        explicit.update((i, target) for i in matches)
    chosen, ignored, by_field = {}, [], {}
    for i, head in enumerate(header):
        name = explicit.get(i) or _ALIASES[kind].get(_header_key(head))
        if name is None and head.strip():
            ignored.append(head)
        elif name not in (None, "-"):
            chosen[i] = fields[name]
            by_field.setdefault(name, []).append(head)
    clashes = [Said("imp.err.clash", heads=Joined(heads, " and ", "・"), field=name)
               for name, heads in by_field.items() if len(heads) > 1]
    if clashes:
        raise Rejected(Said("imp.err.clashes", clashes=Joined(clashes, "; ", "。")))
    missing = [Said("imp.err.missing_field", name=f.name, example=_example(f))
               for f in FIELDS[kind] if f.required and f.name not in by_field]
    if missing:
        raise Rejected(Said("imp.err.required_missing", missing=missing, columns=list(header)))
    if kind == "purchases" and not by_field.keys() & {"customer_id", "line_user_id"}:
        raise Rejected(Said("imp.err.purchases_who"))
    return chosen, ignored


def _short(value: str, limit: int = 60) -> str:
    return value if len(value) <= limit else value[:limit] + "…"


_JSON = json.JSONEncoder(ensure_ascii=False)  # one encoder: json.dumps(…, ensure_ascii=False) makes one per call


def _parse_column(f: Field, head: str, cells: list[str], zone, errors: dict[int, str]) -> list:
    """One column's values (None for an empty cell); a bad cell's reason goes to errors[row index]
    unless the row already has one (the reason named is the row's leftmost bad cell)."""
    values, memo = [], {}   # exports repeat values (dates, categories, amounts): parse each once
    for index, cell in enumerate(cells):
        cell = cell.strip()
        if not cell:
            values.append(None)
            if f.required:
                errors.setdefault(index, Said("imp.row.empty", head=head))
            continue
        parsed = memo.get(cell, memo)
        if parsed is memo:
            try:
                parsed = memo[cell] = f.parse(cell, zone)
            except Bad as exc:
                parsed = memo[cell] = Bad(Said("imp.row.bad_value", head=head, value=_short(cell),
                                                    why=texts.known(texts.message_of(exc), "imp.why.")))
        if isinstance(parsed, Bad):
            errors.setdefault(index, texts.message_of(parsed))
            parsed = None
        values.append(parsed)
    return values


def _check_rows(kind: str, header: list[str], rows, columns: dict[int, Field]):
    """(good rows as an Arrow table, bad rows as [(line, reason)]), column by column: at 100,000
    rows the per-row overhead of Python is what costs."""
    zone, width, n = ZoneInfo(config.timezone()), len(header), len(rows)
    lines = [line for line, _ in rows]
    errors: dict[int, str] = {}
    for index, (_, cells) in enumerate(rows):
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            errors[index] = Said("imp.row.cells", n=len(cells), width=width)
    header_of = {f.name: header[i] for i, f in columns.items()}
    values = {f.name: _parse_column(f, header[i], [c[i] if i < len(c) else "" for _, c in rows], zone, errors)
              for i, f in sorted(columns.items())}
    first_seen: dict[tuple, int] = {}   # a bad row's key counts too: its fixed version will come first
    for index, key in enumerate(zip(*(values[k] for k in KEYS[kind]))):
        if None in key:
            continue
        first = first_seen.setdefault(key, lines[index])
        if first != lines[index] and index not in errors:
            what = Joined([Said("imp.row.key", head=header_of[k], value=_short(str(v))) for k, v in zip(KEYS[kind], key)],
                          " and ", "・")
            errors[index] = Said("imp.row.duplicate", what=what, first=first)
    arrays = {"line_no": pa.array(lines, pa.int64())}
    arrays.update({f.name: pa.array(values.get(f.name, [None] * n), f.arrow) for f in FIELDS[kind]})
    if kind == "customers":
        arrays["email_hash"] = pa.array([hashlib.sha256(e.encode()).hexdigest() if e else None
                                         for e in values.get("email", [None] * n)], pa.string())
        if not config.get_bool("DASHBOARD_STORE_RAW_EMAIL"):
            arrays["email"] = pa.nulls(n, pa.string())  # only the hash leaves this function
    if kind == "purchases":  # the row as the shop exported it, kept with the event
        arrays["payload"] = pa.array([None if i in errors else _JSON.encode(dict(zip(header, cells)))
                                      for i, (_, cells) in enumerate(rows)], pa.string())
    good = pa.array([i not in errors for i in range(n)])
    bad = [(lines[i], reason) for i, reason in sorted(errors.items())]
    return pa.table(arrays).filter(good), bad


# ---- the import ----

def _execute(cur, name: str, **params):
    wanted = queries.parameters(name)
    return cur.execute(queries.sql(name), {k: v for k, v in params.items() if k in wanted})


def run_import(con, kind: str, data: bytes | str | Path, *, file_name: str | None = None, dry_run: bool = False,
               actor: str = "cli", mapping: dict[str, str] | None = None, strict: bool = False) -> ImportReport:
    """Import one CSV file (bytes, or a path) of `kind` (KINDS): the good rows are committed and the
    bad ones listed, or with strict=True any bad row rejects the file; dry_run=True writes nothing
    but the run's record. A bad file never raises: it comes back with status 'rejected' and the
    reason in `message`. A database error rolls everything back, is recorded as 'failed' and raised."""
    if kind not in FIELDS:
        raise ValueError(f"unknown import kind {kind!r}: one of {', '.join(KINDS)}")
    if not isinstance(data, (bytes, bytearray)):
        file_name = file_name or Path(data).name
        data = Path(data).read_bytes()
    clock = time.perf_counter()
    report = ImportReport(import_id="imp_" + uuid.uuid4().hex[:16], kind=kind, file_name=file_name, actor=actor,
                          dry_run=dry_run, file_sha256=hashlib.sha256(data).hexdigest(),
                          started_at=dt.datetime.now(dt.timezone.utc))
    cur = con.cursor()
    touched = None
    try:
        try:
            text, report.encoding = decode(bytes(data))
            header, rows = read_csv(text)
            report.rows_total = len(rows)
            columns, report.ignored_columns = _map_columns(kind, header, mapping)
            report.columns = {header[i]: f.name for i, f in columns.items()}
            table, report.bad_rows = _check_rows(kind, header, rows, columns)
            report.rows_ok = table.num_rows
            if strict and report.bad_rows:
                raise Rejected(Said("imp.err.strict", n=f"{len(report.bad_rows):,}"))
            touched = _plan_and_write(cur, kind, table, report, strict)
        except Rejected as exc:
            report.status, report.message = "rejected", texts.known(texts.message_of(exc), "imp.file.")
        except Exception as exc:
            ref = secrets.token_hex(4)   # the details go to the log; the operator gets the reference
            LOG.error("import of %s failed (ref %s)", kind, ref, exc_info=exc)
            report.status, report.message = "failed", Said("imp.err.internal", ref=ref)
            _record(cur, report)
            raise
        if report.status != "committed":  # a committed run was recorded inside its transaction
            _record(cur, report)
    finally:
        cur.close()
    if touched:
        rollups.apply(con, user_keys=touched[0], since=touched[1])
    report.seconds = time.perf_counter() - clock
    return report


class _DryRun(Exception):
    """Raised inside the import's transaction: a dry run's plan is rolled back, and nothing is written."""


@contextmanager
def _staged(cur, table: pa.Table):
    cur.register("_import_rows", table)
    try:
        yield
    finally:
        cur.unregister("_import_rows")


def _plan_and_write(cur, kind: str, table: pa.Table, report: ImportReport, strict: bool):
    """Compare the staged rows with the tables and, unless a dry run, write the difference in one
    transaction. Returns (user_keys, since) for the rollups when friends or events changed."""
    with _staged(cur, table), suppress(_DryRun), storage.transaction(cur):
        _execute(cur, f"imports/{kind}_plan", now=report.started_at)
        problems = _execute(cur, "imports/plan_problems").fetchall()
        if problems:  # only tags so far: a tag for someone who is no friend of the account
            head = next(h for h, f in report.columns.items() if f == "user_id")
            user_of = dict(zip(table["line_no"].to_pylist(), table["user_id"].to_pylist()))
            report.bad_rows = sorted(report.bad_rows + [(line, Said("imp.row.not_friend", head=head, value=user_of[line]))
                                                        for line, _ in problems])
            report.rows_ok -= len(problems)
            if strict:
                raise Rejected(Said("imp.err.strict", n=f"{len(report.bad_rows):,}"))
        (report.inserted, report.updated, report.unchanged, report.unlinked, report.friends_linked,
         user_keys, since) = _execute(cur, "imports/plan_summary").fetchone()
        if kind == "visits":
            unknown = [r[0] for r in _execute(cur, "imports/visits_unknown_routes").fetchall()]
            if unknown:
                report.warnings.append(Said("imp.warn.unknown_routes", routes=unknown[:20]))
        if report.dry_run:
            report.preview = _execute(cur, "imports/plan_preview", limit=PREVIEW_ROWS).df()
            report.status = "dry_run"
            raise _DryRun  # rolled back by storage.transaction(); _plan_and_write returns None
        for step in WRITES[kind]:
            _execute(cur, step)
        if user_keys or since:
            rollups.mark_dirty(cur)  # a crash before rollups.apply makes the next start rebuild them
        _record(cur, report)
        _audit(cur, report)
        return (user_keys, since) if user_keys or since else None  # committed as the block ends
    return None  # a dry run: rolled back


def _record(cur, report: ImportReport) -> None:
    errors = ([{"line": None, "reason": report.message}] if report.message else []) + \
             [{"line": line, "reason": reason} for line, reason in report.bad_rows]
    _execute(cur, "imports/record_run", import_id=report.import_id, kind=report.kind, file_name=report.file_name,
             file_sha256=report.file_sha256, encoding=report.encoding, actor=report.actor,
             started_at=report.started_at, finished_at=dt.datetime.now(dt.timezone.utc), dry_run=report.dry_run,
             status=report.status, rows_total=report.rows_total, rows_ok=report.rows_ok,
             rows_bad=len(report.bad_rows), inserted=report.inserted, updated=report.updated,
             unchanged=report.unchanged, errors=json.dumps(errors[:MAX_ERRORS_STORED], ensure_ascii=False))


def _audit(cur, report: ImportReport) -> None:
    detail = {"import_id": report.import_id, "file_name": report.file_name, "rows_total": report.rows_total,
              "rows_bad": len(report.bad_rows), "inserted": report.inserted, "updated": report.updated,
              "unchanged": report.unchanged, "unlinked": report.unlinked, "friends_linked": report.friends_linked}
    _execute(cur, "imports/audit", actor=report.actor, kind=report.kind, detail=json.dumps(detail, ensure_ascii=False))


def history(cur, limit: int = 50) -> pd.DataFrame:
    """Recent import runs, newest first (Data page)."""
    return queries.run(cur, "imports/history", limit=limit)


# ---- command line ----

def render(report: ImportReport, max_bad_rows: int = 200) -> str:
    """The report as the command line prints it."""
    out = [f"{report.kind}: {report.file_name or '(upload)'}" + (f" ({report.encoding})" if report.encoding else "")]
    if report.columns:
        out.append("  columns: " + ", ".join(f"{h} → {f}" for h, f in report.columns.items()))
    if report.ignored_columns:
        out.append("  ignored columns (not imported): " + ", ".join(report.ignored_columns))
    if report.status == "rejected":
        out.append(f"  rejected, nothing was imported: {report.message}")
    if report.status in ("committed", "dry_run"):
        counts = f"{report.inserted:,} inserted, {report.updated:,} updated, {report.unchanged:,} unchanged"
        out.append(f"  {report.rows_total:,} rows: {report.rows_ok:,} ok ({'would be: ' * report.dry_run}{counts})")
        if report.kind in ("customers", "purchases"):
            out.append(f"  {report.unlinked:,} not linked to a LINE friend"
                       + (f"; friends linked to their customer ID: {report.friends_linked:,}"
                          if report.kind == "customers" else ""))
    for warning in report.warnings:
        out.append(f"  warning: {warning}")
    if report.bad_rows:
        out.append(f"  {len(report.bad_rows):,} bad row(s), not imported:")
        out.extend(f"    line {line}: {reason}" for line, reason in report.bad_rows[:max_bad_rows])
        if len(report.bad_rows) > max_bad_rows:
            out.append(f"    … and {len(report.bad_rows) - max_bad_rows:,} more (import_runs keeps the first "
                       f"{MAX_ERRORS_STORED:,})")
        if report.status == "committed":
            out.append("  fix them and import the same file again: rows already imported stay unchanged")
    if report.status == "dry_run":
        out.append("  dry run: nothing was written")
    elif report.status == "committed":
        out.append(f"  committed (import {report.import_id}, {report.seconds:.1f} s)")
    return "\n".join(out)


def parse_mapping(items: list[str] | None) -> dict[str, str]:
    """['顧客No=customer_id', '備考=-'] -> {'顧客No': 'customer_id', '備考': '-'}."""
    mapping = {}
    for item in items or []:
        column, sep, target = item.rpartition("=")
        if not sep or not column.strip():
            raise ValueError(f"--map {item!r}: expected CSV_COLUMN=field")
        mapping[column.strip()] = target.strip()
    return mapping


def cli(args: argparse.Namespace) -> int:
    """`python -m dashboard import <kind> FILE [--dry-run] [--strict] [--map CSV=field ...]`.

    `args` has: kind (one of KINDS), file (path), dry_run and strict (bools), map (a list of
    'CSV column=field' strings, or None; field '-' skips a column) and optionally db (a path; default
    setting DASHBOARD_DB). The parser the lead wires in dashboard/__main__.py:

        p = sub.add_parser("import", help="import a CSV export: customers, purchases, visits or tags")
        p.add_argument("kind", choices=imports.KINDS)
        p.add_argument("file", help="CSV file (UTF-8 with or without BOM, or Shift_JIS/CP932)")
        p.add_argument("--db", default=None, help="database file (default: setting DASHBOARD_DB)")
        p.add_argument("--dry-run", action="store_true", help="show what would change; write nothing")
        p.add_argument("--strict", action="store_true", help="reject the whole file if any row is bad")
        p.add_argument("--map", action="append", metavar="CSV=FIELD", help="map a column to a field (repeatable)")

    Prints the report. Returns 0 when every row was fine, 1 when bad rows were listed (the good rows
    were imported unless --dry-run), 2 when nothing was imported because the file was rejected (or
    unreadable, or --strict met a bad row). storage.StorageError (the database is held by a running
    dashboard) propagates, as does a database error during the commit (rolled back, recorded).
    """
    from dashboard.core import storage

    try:
        mapping = parse_mapping(getattr(args, "map", None))
        data = Path(args.file).read_bytes()
    except (ValueError, OSError) as exc:
        print(f"error: {getattr(exc, 'strerror', None) or exc} ({args.file})", file=sys.stderr)
        return 2
    con = storage.connect(getattr(args, "db", None) or config.db_path())
    try:
        report = run_import(con, args.kind, data, file_name=Path(args.file).name, dry_run=args.dry_run,
                            strict=getattr(args, "strict", False), mapping=mapping, actor="cli")
    finally:
        con.close()
    print(render(report))
    if report.status == "rejected":
        return 2
    return 1 if report.bad_rows else 0
