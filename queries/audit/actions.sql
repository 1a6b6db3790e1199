-- The actions present in the audit log, for the Audit page's filter list.
-- Grain: one row per distinct action. Parameters: none.
select distinct action from audit_log order by action
