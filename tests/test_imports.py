"""CSV imports on real DuckDB files: encodings, bad rows with the lines an operator sees, dry runs,
atomic commits, idempotent re-imports, e-mail hashing and linking customers to LINE friends."""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
from decimal import Decimal

import pytest

from dashboard.intake import imports
from dashboard.analytics import rollups
from dashboard.core import storage

ALICE, BOB, CAROL = "U" + "a" * 32, "U" + "b" * 32, "U" + "c" * 32
STRANGER = "U" + "d" * 32          # a well-formed LINE user ID that is no friend of the account
JST = dt.timezone(dt.timedelta(hours=9))

CUSTOMERS_JA = (
    "顧客ID,メールアドレス,氏名,LINEユーザーID,初回購入日,購入回数,累計購入金額,ランク\n"
    f"C001, Hanako.Yamada@Example.JP ,山田 花子,{ALICE},2026/11/24,3,\"￥12,800\",gold\n"
    "C002,taro@example.jp,佐藤 太郎,,2025年4月1日,1,4980円,silver\n"
    "C-LINKED,,鈴木 一郎,,,,,\n"
)


@pytest.fixture
def con(tmp_path):
    """An account with three friends; Carol linked herself to CRM customer C-LINKED (accountLink)."""
    con = storage.connect(tmp_path / "imports.duckdb")
    con.execute("insert into inflow_routes (route, name_ja, name_en) values ('qr_flyer', 'QRチラシ', 'QR flyer')")
    con.execute("""insert into friends (user_key, user_id, followed_at, is_following, inflow_route, customer_id)
                   values (1, $a, '2026-10-01 10:00+09', true, 'qr_flyer', null),
                          (2, $b, '2026-10-02 10:00+09', true, 'qr_flyer', null),
                          (3, $c, '2026-10-03 10:00+09', true, null, 'C-LINKED')""",
                {"a": ALICE, "b": BOB, "c": CAROL})
    rollups.refresh(con)
    yield con
    con.close()


def rows(con, sql, params=None):
    return con.execute(sql, params or {}).fetchall()


def snapshot(con):
    """Every table an import writes (minus the write times)."""
    return {table: rows(con, f"select {columns} from {table} order by all")
            for table, columns in (("customers", "* exclude (updated_at)"), ("events", "* exclude (received_at)"),
                                   ("site_visits", "*"), ("friend_tags", "*"), ("friends", "*"))}


# ---- encodings ----

@pytest.mark.parametrize("encoding, label", [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp932", "cp932")])
def test_utf8_bom_and_cp932_exports_import_the_same(con, encoding, label):
    report = imports.run_import(con, "customers", CUSTOMERS_JA.encode(encoding), file_name="顧客.csv")
    assert (report.status, report.encoding, report.bad_rows) == ("committed", label, [])
    assert report.columns["顧客ID"] == "customer_id" and report.columns["累計購入金額"] == "revenue"
    assert report.ignored_columns == ["ランク"]
    assert rows(con, "select customer_id, name, orders, revenue, first_purchase_at from customers order by 1") == [
        ("C-LINKED", "鈴木 一郎", 0, Decimal("0.00"), None),
        ("C001", "山田 花子", 3, Decimal("12800.00"), dt.datetime(2026, 11, 24, tzinfo=JST)),
        ("C002", "佐藤 太郎", 1, Decimal("4980.00"), dt.datetime(2025, 4, 1, tzinfo=JST))]


def test_a_file_neither_utf8_nor_cp932_is_rejected_clearly(con):
    report = imports.run_import(con, "customers", b"customer_id\n\x81\x20broken\n", file_name="x.csv")
    assert report.status == "rejected" and "neither UTF-8 nor Shift_JIS" in report.message
    utf16 = imports.run_import(con, "customers", "顧客ID\nC1\n".encode("utf-16"))
    assert utf16.status == "rejected" and "UTF-16" in utf16.message
    assert rows(con, "select count(*) from customers") == [(0,)]
    assert rows(con, "select status from import_runs") == [("rejected",), ("rejected",)]


def test_tab_separated_and_english_headers_match_case_and_space_insensitively(con):
    text = "Customer ID\tE-Mail\tLINE User ID\tOrders\n C9 \tx@example.jp\t\t2\n"
    report = imports.run_import(con, "customers", text.encode())
    assert report.columns == {"Customer ID": "customer_id", "E-Mail": "email", "LINE User ID": "line_user_id",
                              "Orders": "orders"}
    assert rows(con, "select customer_id, orders from customers") == [("C9", 2)]


# ---- values ----

@pytest.mark.parametrize("text, expected", [
    ("2026-11-24", dt.datetime(2026, 11, 24, tzinfo=JST)),
    ("2026/11/24 13:05", dt.datetime(2026, 11, 24, 13, 5, tzinfo=JST)),
    ("2026/1/5 9:05:07", dt.datetime(2026, 1, 5, 9, 5, 7, tzinfo=JST)),
    ("2026年11月24日(火) 13時05分", dt.datetime(2026, 11, 24, 13, 5, tzinfo=JST)),
    ("令和8年11月24日", dt.datetime(2026, 11, 24, tzinfo=JST)),
    ("２０２６／１１／２４", dt.datetime(2026, 11, 24, tzinfo=JST)),
    ("2026-11-24T04:05:00Z", dt.datetime(2026, 11, 24, 13, 5, tzinfo=JST)),
    ("2026-11-24T13:05:00+09:00", dt.datetime(2026, 11, 24, 13, 5, tzinfo=JST)),
    ("20261124", dt.datetime(2026, 11, 24, tzinfo=JST)),
])
def test_dates_in_the_forms_japanese_exports_use(text, expected):
    value = imports.parse_datetime(text, dt.timezone(dt.timedelta(hours=9)))
    assert value == expected and value.tzinfo == dt.timezone.utc


@pytest.mark.parametrize("text", ["2026-13-01", "2026/2/30", "11/24/2026", "yesterday", "2026-11-24 25:00"])
def test_what_is_not_a_date(text):
    with pytest.raises(ValueError, match="is not a date"):
        imports.parse_datetime(text, JST)


@pytest.mark.parametrize("text, expected", [("1200", "1200"), ("1,200", "1200"), ("¥1,200", "1200"),
                                            ("￥1,200", "1200"), ("\\1,200", "1200"), ("1200円", "1200"),
                                            ("1,234.5", "1234.50")])
def test_amounts_with_separators_and_yen_signs(text, expected):
    assert imports.parse_amount(text) == Decimal(expected)


@pytest.mark.parametrize("text, reason", [("abc", "is not a number"), ("12,00", "is not a number"),
                                          ("-500", "must not be negative"), ("1.234", "more than 2 decimals")])
def test_what_is_not_an_amount(text, reason):
    with pytest.raises(ValueError, match=reason):
        imports.parse_amount(text)


# ---- bad rows ----

PURCHASES_WITH_BAD_ROWS = (
    "注文番号,購入日時,金額,カテゴリ,LINEユーザーID\n"                 # line 1
    f"A-1,2026/11/20 10:00,\"¥1,200\",スキンケア,{ALICE}\n"           # 2
    f"A-2,2026/11/21 11:00,3000,\"ギフト\n(包装あり)\",{BOB}\n"        # 3-4: a quoted cell over two lines
    f"A-3,2026-13-01,500,サプリ,{ALICE}\n"                            # 5
    f"A-4,2026/11/22,abc,サプリ,{ALICE}\n"                            # 6
    f",2026/11/22,800,サプリ,{ALICE}\n"                               # 7
    f"A-1,2026/11/23,900,サプリ,{ALICE}\n"                            # 8
    "\n"                                                              # 9: empty, skipped
    f"A-5,2026/11/23 18:30,1500円,サプリ,not-a-line-id\n"             # 10
    f"A-6,2026/11/24,700,サプリ,{BOB}\n"                              # 11
)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_bad_rows_are_listed_with_the_line_numbers_the_operator_sees(con, newline):
    data = PURCHASES_WITH_BAD_ROWS.replace("\n", newline).encode()   # Excel on Windows ends lines with CRLF
    report = imports.run_import(con, "purchases", data, file_name="orders.csv")
    assert report.bad_rows == [
        (5, "購入日時 '2026-13-01' is not a date"),
        (6, "金額 'abc' is not a number"),
        (7, "注文番号 is empty"),
        (8, "duplicate 注文番号 'A-1' within the file (first at line 2)"),
        (10, "LINEユーザーID 'not-a-line-id' is not a LINE user ID (U followed by 32 hex digits)"),
    ]
    assert (report.status, report.rows_total, report.rows_ok, report.inserted) == ("committed", 8, 3, 3)
    # the good rows are in, the bad ones are not
    assert rows(con, "select event_id, user_id, amount, detail from events order by event_id") == [
        ("import:purchase:A-1", ALICE, Decimal("1200.00"), "スキンケア"),
        ("import:purchase:A-2", BOB, Decimal("3000.00"), f"ギフト{newline}(包装あり)"),
        ("import:purchase:A-6", BOB, Decimal("700.00"), "サプリ")]
    stored = json.loads(rows(con, "select errors from import_runs")[0][0])
    assert stored[0] == {"line": 5, "reason": "購入日時 '2026-13-01' is not a date"} and len(stored) == 5


def test_a_duplicate_of_a_bad_row_is_a_duplicate_too(con):
    text = f"注文番号,購入日時,金額,LINEユーザーID\nA-1,2026-13-01,100,{ALICE}\nA-1,2026/11/20,100,{ALICE}\n"
    report = imports.run_import(con, "purchases", text.encode())
    assert report.bad_rows == [(2, "購入日時 '2026-13-01' is not a date"),
                               (3, "duplicate 注文番号 'A-1' within the file (first at line 2)")]


def test_strict_rejects_the_whole_file_on_any_bad_row(con):
    report = imports.run_import(con, "purchases", PURCHASES_WITH_BAD_ROWS.encode(), strict=True)
    assert report.status == "rejected" and len(report.bad_rows) == 5 and "strict" in report.message
    assert rows(con, "select count(*) from events") == [(0,)]


def test_a_missing_required_column_rejects_the_file_and_names_it(con):
    text = "注文番号,購入日時,LINEユーザーID\nA-1,2026/11/20,%s\n" % ALICE
    report = imports.run_import(con, "purchases", text.encode(), file_name="orders.csv")
    assert report.status == "rejected"
    assert "required column(s) missing: amount (e.g. 金額)" in report.message
    assert rows(con, "select count(*) from events") == [(0,)]
    assert rows(con, "select kind, status, rows_total from import_runs") == [("purchases", "rejected", 1)]
    no_buyer = imports.run_import(con, "purchases", "注文番号,購入日時,金額\nA-1,2026/11/20,100\n".encode())
    assert no_buyer.status == "rejected" and "customer ID or a LINE user ID" in no_buyer.message


def test_tags_for_users_who_are_no_friends_are_bad_rows(con):
    text = f"LINEユーザーID,タグ\n{ALICE},VIP\n{STRANGER},VIP\n{BOB},\"interest:skincare\"\n{ALICE},VIP\n"
    report = imports.run_import(con, "tags", text.encode())
    assert report.bad_rows == [(3, f"LINEユーザーID '{STRANGER}' is not a friend of this account"),
                               (5, f"duplicate LINEユーザーID '{ALICE}' and タグ 'VIP' within the file (first at line 2)")]
    assert (report.inserted, report.rows_ok) == (2, 2)
    assert rows(con, "select user_id, tag, origin from friend_tags order by 1, 2") == [
        (ALICE, "VIP", "import"), (BOB, "interest:skincare", "import")]


def test_header_mapping_overrides_and_ambiguous_or_unknown_columns(con):
    text = "会員No,購入日,注文日,売上,LINEユーザーID,メモ\nA-1,2026/11/20,2026/11/19,100,%s,x\n" % ALICE
    ambiguous = imports.run_import(con, "purchases", text.encode())
    assert ambiguous.status == "rejected" and "購入日 and 注文日 all mean occurred_at" in ambiguous.message
    mapping = {"会員No": "order_id", "売上": "amount", "注文日": "-"}
    report = imports.run_import(con, "purchases", text.encode(), mapping=mapping)
    assert report.status == "committed" and report.ignored_columns == ["メモ"]
    assert rows(con, "select event_id, occurred_at from events") == [
        ("import:purchase:A-1", dt.datetime(2026, 11, 20, tzinfo=JST))]
    wrong = imports.run_import(con, "purchases", text.encode(), mapping={"売上": "price"})
    assert wrong.status == "rejected" and "'price' is not a field of purchases files" in wrong.message


# ---- dry runs, atomicity, idempotence ----

def test_a_dry_run_changes_nothing_but_says_what_would_change(con):
    imports.run_import(con, "customers", "顧客ID,購入回数\nC002,1\n".encode())
    before = snapshot(con)
    report = imports.run_import(con, "customers", CUSTOMERS_JA.encode(), dry_run=True, actor="hanako")
    assert (report.status, report.inserted, report.updated, report.unchanged) == ("dry_run", 2, 1, 0)
    assert report.friends_linked == 1   # Alice would get customer_id C001
    assert list(report.preview["customer_id"]) == ["C001", "C002", "C-LINKED"]
    assert report.preview.loc[report.preview.customer_id == "C002", "old_revenue"].item() == 0
    assert snapshot(con) == before
    assert rows(con, "select status, dry_run, actor, inserted, updated from import_runs order by started_at") == [
        ("committed", False, "cli", 1, 0), ("dry_run", True, "hanako", 2, 1)]
    assert rows(con, "select count(*) from audit_log where action = 'import'") == [(1,)]


def test_an_error_mid_commit_leaves_nothing(con, monkeypatch):
    def broken_audit(cur, report):
        raise RuntimeError("disk full")

    monkeypatch.setattr(imports, "_audit", broken_audit)   # the last statement before the commit
    before = snapshot(con)
    with pytest.raises(RuntimeError, match="disk full"):
        imports.run_import(con, "customers", CUSTOMERS_JA.encode())
    with pytest.raises(RuntimeError, match="disk full"):
        imports.run_import(con, "purchases", PURCHASES_WITH_BAD_ROWS.encode())
    assert snapshot(con) == before
    assert rows(con, "select kind, status from import_runs order by started_at") == [
        ("customers", "failed"), ("purchases", "failed")]
    assert rows(con, "select count(*) from audit_log") == [(0,)]


VISITS = "日付,流入経路,訪問数\n2026/11/20,qr_flyer,\"1,200\"\n2026/11/21,qr_flyer,900\n2026/11/21,google,40\n"
TAGS = f"LINEユーザーID,タグ,タグ付け日時\n{ALICE},VIP,2026/11/01\n{BOB},interest:skincare,\n"


@pytest.mark.parametrize("kind, text", [("customers", CUSTOMERS_JA), ("purchases", PURCHASES_WITH_BAD_ROWS),
                                        ("visits", VISITS), ("tags", TAGS)])
def test_importing_the_same_file_again_changes_nothing(con, kind, text):
    first = imports.run_import(con, kind, text.encode("cp932" if kind == "customers" else "utf-8"))
    after_first = snapshot(con)
    second = imports.run_import(con, kind, text.encode("cp932" if kind == "customers" else "utf-8"))
    assert first.inserted == first.rows_ok > 0
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, first.rows_ok)
    assert snapshot(con) == after_first


# ---- e-mail, verbatim values ----

def test_emails_are_normalised_and_only_their_hash_is_stored_by_default(con):
    text = "顧客ID,メールアドレス\nC1, Hanako.Yamada@Example.JP \nC2,ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ\nC3,not-an-address\n"
    report = imports.run_import(con, "customers", text.encode())
    assert report.bad_rows == [(4, "メールアドレス 'not-an-address' is not an e-mail address")]
    assert rows(con, "select customer_id, email_hash, email from customers order by 1") == [
        ("C1", hashlib.sha256(b"hanako.yamada@example.jp").hexdigest(), None),
        ("C2", hashlib.sha256(b"taro@example.jp").hexdigest(), None)]


def test_raw_emails_are_stored_only_when_the_setting_allows(con, monkeypatch):
    monkeypatch.setenv("DASHBOARD_STORE_RAW_EMAIL", "true")
    imports.run_import(con, "customers", "顧客ID,メールアドレス\nC1, Hanako.Yamada@Example.JP \n".encode())
    assert rows(con, "select email, email_hash from customers") == [
        ("hanako.yamada@example.jp", imports.email_hash("hanako.yamada@example.jp"))]
    monkeypatch.setenv("DASHBOARD_STORE_RAW_EMAIL", "false")
    # a new address without the setting: the old raw address no longer matches the hash, so it goes
    report = imports.run_import(con, "customers", "顧客ID,メールアドレス\nC1,new@example.jp\n".encode())
    assert report.updated == 1
    assert rows(con, "select email, email_hash from customers") == [(None, imports.email_hash("new@example.jp"))]


def test_sql_looking_values_are_stored_verbatim(con):
    name = "Robert'); drop table customers; --"
    tag = "x' or '1'='1"
    customers = f'顧客ID,氏名\n"C1"";--","{name}"\n'
    assert imports.run_import(con, "customers", customers.encode()).inserted == 1
    assert imports.run_import(con, "tags", f"user_id,tag\n{ALICE},\"{tag}\"\n".encode()).inserted == 1
    assert rows(con, "select customer_id, name from customers") == [('C1";--', name)]
    assert rows(con, "select tag from friend_tags") == [(tag,)]


# ---- linking customers, purchases and friends ----

def test_customers_link_to_friends_both_ways(con):
    report = imports.run_import(con, "customers", CUSTOMERS_JA.encode())
    # by LINE user ID in the file: the friend gets the customer ID
    assert rows(con, "select customer_id from friends where user_id = $u", {"u": ALICE}) == [("C001",)]
    # by an earlier accountLink: the customer gets the friend's LINE user ID
    assert rows(con, "select line_user_id from customers where customer_id = 'C-LINKED'") == [(CAROL,)]
    assert (report.friends_linked, report.unlinked) == (1, 1)   # C002 has no LINE friend
    # the link survives a later file without LINE IDs (an empty cell keeps the stored value)
    imports.run_import(con, "customers", "顧客ID,累計購入金額\nC001,20000\n".encode())
    assert rows(con, "select line_user_id, revenue, orders from customers where customer_id = 'C001'") == [
        (ALICE, Decimal("20000.00"), 3)]


def test_purchases_find_their_friend_through_the_customer_and_unlinked_ones_are_kept(con):
    imports.run_import(con, "customers", CUSTOMERS_JA.encode())
    text = ("注文番号,購入日時,金額,顧客ID\n"
            "B-1,2026/11/20 10:00,1000,C001\n"      # CRM link (customers.line_user_id)
            "B-2,2026/11/20 11:00,2000,C-LINKED\n"  # accountLink (friends.customer_id)
            "B-3,2026/11/20 12:00,3000,C002\n")     # a customer without LINE
    report = imports.run_import(con, "purchases", text.encode())
    assert (report.inserted, report.unlinked) == (3, 1)
    assert rows(con, "select event_id, user_key, user_id, occurred_at from events order by 1") == [
        ("import:purchase:B-1", 1, ALICE, dt.datetime(2026, 11, 20, 10, tzinfo=JST)),
        ("import:purchase:B-2", 3, CAROL, dt.datetime(2026, 11, 20, 11, tzinfo=JST)),
        ("import:purchase:B-3", None, None, dt.datetime(2026, 11, 20, 12, tzinfo=JST))]
    payload = json.loads(rows(con, "select payload from events where event_id = 'import:purchase:B-3'")[0][0])
    assert payload == {"注文番号": "B-3", "購入日時": "2026/11/20 12:00", "金額": "3000", "顧客ID": "C002"}
    # once C002 links to Bob, importing the same purchases again fills in the friend
    imports.run_import(con, "customers", f"顧客ID,LINEユーザーID\nC002,{BOB}\n".encode())
    again = imports.run_import(con, "purchases", text.encode())
    assert (again.updated, again.unchanged, again.unlinked) == (1, 2, 0)
    assert rows(con, "select user_key from events where event_id = 'import:purchase:B-3'") == [(2,)]


def test_purchases_update_the_rollups_of_the_friends_they_touch(con):
    assert rows(con, "select first_purchase_at from rollup_friend_firsts where user_key = 2") == [(None,)]
    imports.run_import(con, "purchases", f"注文番号,購入日時,金額,LINEユーザーID\nP1,2026/11/20 10:00,500,{BOB}\n".encode())
    assert rows(con, "select first_purchase_at from rollup_friend_firsts where user_key = 2") == [
        (dt.datetime(2026, 11, 20, 10, tzinfo=JST),)]


def test_visits_replace_their_day_and_route_and_unknown_routes_are_warned(con):
    con.execute("insert into site_visits values ('2026-11-20', 'qr_flyer', 7, 'route_link')")
    report = imports.run_import(con, "visits", VISITS.encode())
    assert (report.inserted, report.updated) == (2, 1)
    assert report.warnings and "google" in report.warnings[0]
    assert rows(con, "select day, inflow_route, visits, source from site_visits order by 1, 2") == [
        (dt.date(2026, 11, 20), "qr_flyer", 1200, "import"), (dt.date(2026, 11, 21), "google", 40, "import"),
        (dt.date(2026, 11, 21), "qr_flyer", 900, "import")]


def test_purchases_on_the_demo_account_link_through_its_crm(demo_copy):
    con = storage.connect(demo_copy)
    try:
        customer_id, user_id = rows(con, "select customer_id, line_user_id from customers "
                                         "where line_user_id is not null order by 1 limit 1")[0]
        text = f"注文番号,購入日時,金額,カテゴリ,顧客ID\nD-1,2026/11/23 20:00,4980,skincare,{customer_id}\n"
        report = imports.run_import(con, "purchases", text.encode())
        assert (report.inserted, report.unlinked) == (1, 0)
        assert rows(con, "select user_id from events where event_id = 'import:purchase:D-1'") == [(user_id,)]
    finally:
        con.close()


# ---- record keeping and the command line ----

def test_every_run_is_recorded_and_committed_ones_are_audited(con):
    imports.run_import(con, "tags", TAGS.encode(), file_name="tags.csv", actor="hanako")
    imports.run_import(con, "tags", TAGS.encode(), file_name="tags.csv", dry_run=True)
    frame = imports.history(con, limit=10)
    assert list(frame["status"]) == ["dry_run", "committed"]
    assert list(frame["unchanged"]) == [2, 0] and frame["file_sha256"].nunique() == 1
    actor, action, obj, detail = rows(con, "select actor, action, object, detail from audit_log")[0]
    assert (actor, action, obj, json.loads(detail)["inserted"]) == ("hanako", "import", "tags", 2)


def _args(kind, path, *maps, dry_run=False, strict=False):
    return argparse.Namespace(kind=kind, file=str(path), dry_run=dry_run, strict=strict, map=list(maps) or None)


def test_cli_prints_the_report_and_exits_by_outcome(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DASHBOARD_DB", str(tmp_path / "cli.duckdb"))
    good, bad, rejected = tmp_path / "good.csv", tmp_path / "bad.csv", tmp_path / "rejected.csv"
    good.write_bytes(VISITS.encode("cp932"))
    bad.write_bytes("日付,流入経路,訪問数\n2026/11/20,qr_flyer,many\n".encode())
    rejected.write_bytes("Tag\nVIP\n".encode())
    assert imports.cli(_args("visits", good, dry_run=True)) == 0
    assert "dry run: nothing was written" in capsys.readouterr().out
    assert imports.cli(_args("visits", good)) == 0
    assert imports.cli(_args("visits", bad)) == 1
    assert "line 2: 訪問数 'many' is not a whole number" in capsys.readouterr().out
    assert imports.cli(_args("tags", rejected)) == 2
    assert "required column(s) missing: user_id" in capsys.readouterr().out
    assert imports.cli(_args("visits", bad, "訪問数=-", "Tag=tag")) == 2     # a mapped column not in the file
    con = storage.connect(tmp_path / "cli.duckdb")
    assert rows(con, "select count(*) from site_visits") == [(3,)]
    con.close()
