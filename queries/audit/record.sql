-- Append one row to the audit log (dashboard/core/audit.py record; rows are never updated or deleted).
-- Grain: one row per thing a person did. Parameters: $at (null = now), $actor, $action, $object,
-- $detail (JSON text, already stripped of secrets).
insert into audit_log ("at", actor, action, object, detail)
values (coalesce($at::timestamptz, current_timestamp), $actor, $action, $object, $detail::json)
