"""Backups made by the process that holds the database, while it stays usable."""
from __future__ import annotations

import datetime as dt

from dashboard.core import backup, storage


def test_backup_is_a_complete_copy_and_old_ones_are_pruned(demo_copy, tmp_path):
    con = storage.connect(demo_copy)
    friends = con.execute("select count(*) from friends").fetchone()[0]
    folder = tmp_path / "backups"
    day = dt.datetime(2026, 11, 1, 4, 0)
    made = [backup.make(con, folder, now=day + dt.timedelta(days=i), keep=3) for i in range(5)]
    con.execute("insert into inflow_routes (route, name_ja, name_en) values ('after', 'a', 'a')")  # still writable
    con.close()
    assert sorted(p.name for p in folder.glob("*")) == [p.name for p in made[-3:]]
    copy = storage.connect(made[-1], read_only=True)
    assert copy.execute("select count(*) from friends").fetchone()[0] == friends
    assert copy.execute("select count(*) from inflow_routes where route = 'after'").fetchone()[0] == 0
    copy.close()


def test_due_once_a_day_from_the_hour(tmp_path, monkeypatch):
    monkeypatch.setenv("DASHBOARD_BACKUP_HOUR", "4")
    monkeypatch.setenv("DASHBOARD_SECRETS_FILE", str(tmp_path / "none.toml"))
    assert not backup.due(tmp_path, dt.datetime(2026, 11, 2, 3, 59))
    assert backup.due(tmp_path, dt.datetime(2026, 11, 2, 4, 0))
    (tmp_path / "dashboard-20261102-0400.duckdb").write_bytes(b"")
    assert not backup.due(tmp_path, dt.datetime(2026, 11, 2, 23, 0))


def test_setting_changes_are_audited_without_secret_values(demo_copy, tmp_path, monkeypatch):
    import json

    from dashboard.core import settings_audit

    monkeypatch.setenv("DASHBOARD_SECRETS_FILE", str(tmp_path / "none.toml"))
    con = storage.connect(demo_copy)
    assert settings_audit.record_changes(con) == []            # the first snapshot
    assert settings_audit.record_changes(con) == []            # nothing changed
    monkeypatch.setenv("DASHBOARD_FREQUENCY_CAP", "5")
    monkeypatch.setenv("LINE_CHANNEL_SECRET", "s3cr3t-value")
    assert settings_audit.record_changes(con) == ["DASHBOARD_FREQUENCY_CAP", "LINE_CHANNEL_SECRET"]
    detail = json.loads(con.execute("select detail from audit_log where action = 'settings.change'").fetchone()[0])
    assert detail["changed"] == [["DASHBOARD_FREQUENCY_CAP", "3", "5"], ["LINE_CHANNEL_SECRET", None, "set"]]
    everything = " ".join(str(r) for r in con.execute("select * from audit_log").fetchall())
    assert "s3cr3t-value" not in everything
    con.close()
