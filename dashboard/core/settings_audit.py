"""Setting changes in the audit log. Settings live in .streamlit/secrets.toml and the environment,
edited outside the dashboard; when the server starts it compares them with what it recorded last
time and writes one audit row naming what changed: old and new values of ordinary settings; for
secrets only whether they are set — a secret's value never reaches the log, not even hashed (so
replacing one secret by another is not seen; setting or removing it is)."""
from __future__ import annotations

import json

from dashboard.core import audit, config


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
        row = cur.execute("select detail from audit_log where action = 'settings.snapshot' "
                          "order by \"at\" desc limit 1").fetchone()
        before = json.loads(row[0]).get("values", {}) if row else None
        now = snapshot()
        changed = sorted(n for n in now if before is not None and before.get(n) != now[n])
        if before is not None and not changed:
            return []
        cur.execute("begin")
        if changed:  # list form: the audit log redacts keys that look like secrets' names
            audit.record(cur, actor, "settings.change", "settings",
                         {"changed": [[n, before.get(n), now[n]] for n in changed]})
        cur.execute("insert into audit_log (actor, action, object, detail) values ($a, 'settings.snapshot', "
                    "'settings', $d)", {"a": actor, "d": json.dumps({"values": now})})
        cur.execute("commit")
        return changed
    finally:
        cur.close()
