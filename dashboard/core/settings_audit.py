"""Setting changes in the audit log. Settings live in .streamlit/secrets.toml and the environment,
edited outside the dashboard; when the server starts it compares them with what it recorded last
time and writes one audit row naming what changed: old and new values of ordinary settings; for
secrets only whether they are set — a secret's value never reaches the log, not even hashed (so
replacing one secret by another is not seen; setting or removing it is)."""
from __future__ import annotations

import json

from dashboard.core import audit, config, queries, storage

queries.require("audit/last_settings_snapshot", "audit/record_settings_snapshot")


def snapshot() -> dict[str, str | None]:
    """Every setting's effective value; for a secret only "set" or None."""
    values = {}
    for setting in config.SETTINGS:
        value = config.get(setting.name)
        values[setting.name] = ("set" if value else None) if setting.secret else value
    return values


def record_changes(con, actor: str = "system") -> list[str]:
    """Compare with the last snapshot (kept in the audit log itself) and record what changed."""
    cur = con.cursor()
    try:
        row = cur.execute(queries.sql("audit/last_settings_snapshot")).fetchone()
        before = json.loads(row[0]).get("values", {}) if row else None
        now = snapshot()
        changed = sorted(n for n in now if before is not None and before.get(n) != now[n])
        if before is not None and not changed:
            return []
        with storage.transaction(cur):
            if changed:  # list form: the audit log redacts keys that look like secrets' names
                audit.record(cur, actor, "settings.change", "settings",
                             {"changed": [[n, before.get(n), now[n]] for n in changed]})
            # not through audit.record: its scrubbing would redact the secrets' names, and with them
            # whether each secret is set (the snapshot never holds a secret's value)
            cur.execute(queries.sql("audit/record_settings_snapshot"), {"a": actor, "d": json.dumps({"values": now})})
        return changed
    finally:
        cur.close()
