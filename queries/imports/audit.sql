-- A committed import in the audit log: who imported what, and the counts.
-- Grain: one row per committed import. Parameters: $actor, $kind, $detail (json).
insert into audit_log (actor, action, object, detail)
values ($actor, 'import', $kind, $detail::json)
