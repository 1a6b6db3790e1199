-- What an import plan would change (any kind: every <kind>_plan has these columns).
-- Grain: one row. Parameters: none (reads _import_plan).
-- Definitions: unlinked = rows not linked to a LINE friend; friends_linked = friends whose
-- customer_id the import sets; touched_keys / touched_since = what the rollups must redo.
select count(*) filter (where change = 'insert') as inserted,
       count(*) filter (where change = 'update') as updated,
       count(*) filter (where change = 'unchanged') as unchanged,
       count(*) filter (where unlinked and change in ('insert', 'update', 'unchanged')) as unlinked,
       count(*) filter (where links_friend) as friends_linked,
       coalesce(list_distinct(flatten(list(touched_keys))), []) as touched_keys,
       min(touched_since) as touched_since
from _import_plan
