-- The settings as recorded when the server last started (dashboard/core/settings_audit.py).
-- Grain: one row (or none), the latest settings.snapshot row's detail ({"values": {name: value or "set"}}).
-- Parameters: none.
select detail from audit_log where action = 'settings.snapshot' order by "at" desc limit 1
