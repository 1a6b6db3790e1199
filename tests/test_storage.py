"""Schema creation, upgrades from older versions, and clear refusals."""
from __future__ import annotations

import duckdb
import pytest

from dashboard.core import storage


def test_new_database_gets_current_version(tmp_path):
    con = storage.connect(tmp_path / "new.duckdb")
    assert con.execute("select max(version) from schema_version").fetchone()[0] == storage.current_version()
    tables = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
    # DESIGN §3: the public contract
    assert {"friends", "friend_tags", "friend_attributes", "events", "site_visits", "customers", "segments",
            "deliveries", "delivery_recipients", "delivery_stats", "audit_log"} <= tables


CONTRACT = {
    "friends": {"user_id", "display_name", "followed_at", "last_followed_at", "blocked_at", "is_following",
                "inflow_route", "customer_id"},
    "friend_tags": {"user_id", "tag", "tagged_at", "origin"},
    "friend_attributes": {"user_id", "key", "value", "updated_at"},
    "events": {"event_id", "user_id", "type", "occurred_at", "received_at", "delivery_id", "payload"},
    "customers": {"customer_id", "email_hash", "line_user_id", "first_purchase_at", "orders", "revenue"},
    "segments": {"segment_id", "name", "definition", "created_by", "created_at"},
    "deliveries": {"delivery_id", "kind", "segment_id", "messages", "status", "planned_count", "sent_count",
                   "failed_count", "aggregation_unit", "created_by", "approved_by", "scheduled_at", "sent_at"},
    "delivery_recipients": {"delivery_id", "user_id", "batch_no", "retry_key", "status", "error", "request_id",
                            "sent_at"},
    "delivery_stats": {"delivery_id", "day", "impressions", "unique_impressions", "clicks", "unique_clicks"},
    "audit_log": {"at", "actor", "action", "object", "detail"},
}


@pytest.mark.parametrize("table", sorted(CONTRACT))
def test_public_columns_exist(tmp_path, table):
    con = storage.connect(tmp_path / "c.duckdb")
    cols = {r[0] for r in con.execute(
        "select column_name from information_schema.columns where table_name = $t", {"t": table}).fetchall()}
    assert CONTRACT[table] <= cols


def test_reopening_changes_nothing(tmp_path):
    path = tmp_path / "again.duckdb"
    storage.connect(path).close()
    con = storage.connect(path)
    assert con.execute("select count(*) from schema_version").fetchone()[0] == 1


def _migrations(tmp_path, files: dict[str, str]):
    folder = tmp_path / "migrations"
    folder.mkdir()
    for name, sql in files.items():
        (folder / name).write_text(sql, encoding="utf-8")
    return folder


def _version_one(path, tmp_path):
    """A database recorded at version 1 (an empty migrations folder means 'version 1 is current')."""
    empty = tmp_path / "no_migrations"
    empty.mkdir(exist_ok=True)
    storage.connect(path, migrations_dir=empty).close()


def test_real_version_one_database_is_upgraded(tmp_path):
    """A file made by the first release (before migration 002) gains what 002 adds."""
    path = tmp_path / "v1.duckdb"
    _version_one(path, tmp_path)
    con = duckdb.connect(str(path))
    con.execute("alter table deliveries drop column error")
    con.execute("alter table segments drop column updated_by")
    con.execute("alter table segments drop column updated_at")
    con.execute("drop table segment_sizes")
    con.execute("insert into segments (segment_id, name, definition) values ('s1', 'kept', '{}')")
    con.close()
    con = storage.connect(path)
    assert [r[0] for r in con.execute("select version from schema_version order by version").fetchall()] == list(
        range(1, storage.current_version() + 1))   # every step, in order
    cols = {r[0] for r in con.execute("select column_name from information_schema.columns "
                                      "where table_name = 'deliveries'").fetchall()}
    assert "error" in cols and "plan_exclusions" in cols   # 006: a delivery keeps its exclusions
    assert con.execute("select count(*) from segment_sizes").fetchone()[0] == 0
    assert con.execute("select name from segments").fetchone()[0] == "kept"  # nothing lost
    # 004 (issue 12): the staff list, session revocations, reserved log-in attempts
    assert con.execute("select count(*) from staff_recipients").fetchone()[0] == 0
    assert con.execute("select count(*) from session_revocations").fetchone()[0] == 0
    # 005 (issue 19): compose drafts per user
    assert con.execute("select count(*) from compose_drafts").fetchone()[0] == 0
    assert "said" in {r[0] for r in con.execute("select column_name from information_schema.columns "
                                                "where table_name = 'line_sync_runs'").fetchall()}
    # 008 (issue 14): step scenarios, and the ledger's reply columns
    assert con.execute("select count(*) from scenario_enrolments").fetchone()[0] == 0
    assert {"reply_token", "via"} <= {r[0] for r in con.execute("select column_name from information_schema.columns "
                                                                "where table_name = 'delivery_recipients'").fetchall()}
    # 009 (issue 15): saved cross-tab views
    assert con.execute("select count(*) from crosstab_views").fetchone()[0] == 0


def test_older_database_is_upgraded_step_by_step(tmp_path):
    path = tmp_path / "old.duckdb"
    _version_one(path, tmp_path)  # version 1, as an older release made it
    folder = _migrations(tmp_path, {
        "002_add_friend_note.sql": "alter table friends add column note varchar;",
        "003_add_index.sql": "create index friends_route_idx on friends (inflow_route);",
    })
    con = storage.connect(path, migrations_dir=folder)
    versions = [r[0] for r in con.execute("select version from schema_version order by version").fetchall()]
    assert versions == [1, 2, 3]
    assert "note" in {r[0] for r in con.execute(
        "select column_name from information_schema.columns where table_name = 'friends'").fetchall()}


def test_failed_upgrade_leaves_database_at_its_version(tmp_path):
    path = tmp_path / "old.duckdb"
    _version_one(path, tmp_path)
    folder = _migrations(tmp_path, {"002_broken.sql": "alter table no_such_table add column x int;"})
    with pytest.raises(storage.StorageError, match="002_broken.sql failed.*version 1"):
        storage.connect(path, migrations_dir=folder)
    con = storage.connect(path, migrations_dir=tmp_path / "no_migrations")  # still usable by its own release
    assert con.execute("select max(version) from schema_version").fetchone()[0] == 1


def test_newer_database_is_refused_clearly(tmp_path):
    path = tmp_path / "future.duckdb"
    con = storage.connect(path)
    con.execute("insert into schema_version (version, note) values (99, 'from the future')")
    con.close()
    with pytest.raises(storage.StorageError, match="version 99 is newer"):
        storage.connect(path)


def test_foreign_duckdb_file_is_refused(tmp_path):
    path = tmp_path / "other.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create table sales (x int)")
    con.close()
    with pytest.raises(storage.StorageError, match="not made by this dashboard"):
        storage.connect(path)


def test_badly_named_migration_is_refused(tmp_path):
    folder = _migrations(tmp_path, {"2-add.sql": "select 1;"})
    with pytest.raises(storage.StorageError, match="NNN_name.sql"):
        storage.migrations(folder)


def test_cursors_compute_days_in_the_account_time_zone(tmp_path):
    """A cursor is a session of its own: it must not fall back to UTC (a real bug we had)."""
    con = storage.connect(tmp_path / "tz.duckdb", timezone="Asia/Tokyo")
    cur = con.cursor()
    day = cur.execute("select ('2026-03-02 15:30:00+00'::timestamptz)::date::varchar").fetchone()[0]
    assert day == "2026-03-03"  # 00:30 JST


def test_read_only_of_missing_file_is_refused(tmp_path):
    with pytest.raises(storage.StorageError, match="does not exist"):
        storage.connect(tmp_path / "missing.duckdb", read_only=True)


def _shape(con):
    return con.execute("select table_name, column_name, data_type from information_schema.columns "
                       "where table_schema = 'main' and table_name not like 'rollup_%' "
                       "order by all").fetchall()


def test_upgraded_database_has_the_shape_of_a_new_one(tmp_path):
    """Every migration's change is also in schema.sql, and the other way round."""
    old = tmp_path / "old.duckdb"
    _version_one(old, tmp_path)
    con = duckdb.connect(str(old))
    for table in ("ingest_offsets", "ingest_quarantine", "ingest_runs", "route_hits", "route_attributions",
                  "import_runs", "line_api_calls", "line_sync_runs", "insight_followers",
                  "insight_message_delivery", "line_quota", "approvals", "login_attempts", "segment_sizes"):
        con.execute(f"drop table {table}")
    con.execute("drop index customers_email_hash")   # schema 11's; DuckDB drops no column of an indexed table
    for column in ("email", "name", "updated_at"):
        con.execute(f"alter table customers drop column {column}")
    con.execute("alter table friends drop column added_by")
    con.execute("alter table deliveries drop column link_tracking")
    con.execute("alter table deliveries drop column cost_yen")
    con.close()
    upgraded = storage.connect(old)
    new = storage.connect(tmp_path / "new.duckdb")
    assert _shape(upgraded) == _shape(new)
    assert _indexes(upgraded) == _indexes(new) and ("customers", "customers_email_hash") in _indexes(new)


def _indexes(con):
    return con.execute("select table_name, index_name from duckdb_indexes() order by all").fetchall()


def test_database_backups_and_spool_are_private(tmp_path):
    """Issue 12 point 6: created 0600/0700 even under a umask of 022."""
    import asyncio
    import os
    import stat

    from dashboard.core import backup
    from dashboard.intake import receiver

    old = os.umask(0o022)
    try:
        path = tmp_path / "new" / "dash.duckdb"
        con = storage.connect(path)
        copy = backup.make(con, tmp_path / "backups")
        con.close()
        spool = receiver.Spool(tmp_path / "spool")
        asyncio.run(spool.append({"kind": "test"}))
    finally:
        os.umask(old)
    mode = lambda p: stat.S_IMODE(p.stat().st_mode)  # noqa: E731
    assert (mode(path), mode(path.parent)) == (0o600, 0o700)
    assert (mode(copy), mode(copy.parent)) == (0o600, 0o700)
    files = list((tmp_path / "spool").glob("*.jsonl"))
    assert files and {mode(f) for f in files} == {0o600} and mode(tmp_path / "spool") == 0o700


def test_the_cli_creates_files_under_a_private_umask(tmp_path):
    import stat
    import subprocess
    import sys

    db = tmp_path / "cli.duckdb"
    done = subprocess.run([sys.executable, "-m", "dashboard", "staff", "list", "--db", str(db)],
                          cwd=storage.config.ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert all(stat.S_IMODE(p.stat().st_mode) & 0o077 == 0 for p in tmp_path.iterdir())


def test_transaction_commits_whole_or_rolls_back(tmp_path):
    from dashboard.core import storage as st

    con = st.connect(tmp_path / "tx.duckdb")
    cur = con.cursor()
    cur.execute("create table t (i int)")
    with st.transaction(cur):
        cur.execute("insert into t values (1)")
    try:
        with st.transaction(cur):
            cur.execute("insert into t values (2)")
            raise RuntimeError("half-way")
    except RuntimeError:
        pass
    assert cur.execute("select list(i) from t").fetchone()[0] == [1]
    con.close()


def test_transaction_keeps_the_first_error_when_nothing_is_left_to_roll_back(tmp_path):
    """A block that ended its transaction itself (or lost it) fails with its own error, not rollback's."""
    con = storage.connect(tmp_path / "tx.duckdb")
    cur = con.cursor()
    cur.execute("create table t (i int)")
    with pytest.raises(RuntimeError, match="after the commit"):
        with storage.transaction(cur):
            cur.execute("insert into t values (1)")
            cur.execute("commit")
            raise RuntimeError("after the commit")
    assert cur.execute("select list(i) from t").fetchone()[0] == [1]
    con.close()


def test_memory_limit_setting_caps_duckdb_and_a_bad_size_is_refused_in_words(tmp_path, monkeypatch):
    monkeypatch.setenv("DASHBOARD_MEMORY_LIMIT", "3GB")
    con = storage.connect(tmp_path / "m.duckdb")
    assert con.execute("select current_setting('memory_limit')").fetchone()[0] == "2.7 GiB"   # 3 GB in GiB
    con.close()
    monkeypatch.setenv("DASHBOARD_MEMORY_LIMIT", "lots")
    with pytest.raises(storage.StorageError, match="not a size DuckDB understands"):
        storage.connect(tmp_path / "m.duckdb")
    monkeypatch.delenv("DASHBOARD_MEMORY_LIMIT")
    storage.connect(tmp_path / "m.duckdb").close()   # the file is fine: only the setting was refused
