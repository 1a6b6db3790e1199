-- A dry run's preview: the first rows an import would insert or update, with the stored values
-- they replace (old_* columns).
-- Grain: one row per changed row of the file. Parameters: $limit (integer).
select * exclude (unlinked, links_friend, touched_keys, touched_since)
from _import_plan
where change in ('insert', 'update')
order by line_no
limit $limit
