-- Record the settings as they are now (dashboard/core/settings_audit.py); a secret only as "set" or null.
-- Grain: one audit_log row per server start that saw a change (or the first start).
-- Parameters: $a (actor), $d (JSON text {"values": {name: value}}).
insert into audit_log (actor, action, object, detail) values ($a, 'settings.snapshot', 'settings', $d)
