-- The people (and programs: cli, demo, worker) present in the audit log, for the Audit page's filter list.
-- Grain: one row per distinct actor. Parameters: none.
select distinct actor from audit_log order by actor
