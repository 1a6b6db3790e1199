-- Delete one saved cross-tab view (the audit log keeps what it was and who deleted it).
-- Grain: at most one crosstab_views row deleted. Parameters: $id.
delete from crosstab_views where view_id = $id
