-- Incremental rollups, per friend: the touched friends' events, read once (without the raw JSON,
-- which no rollup reads), for the view shadow_events_of_keys. The table is named through its
-- catalog, as in the shadow views: this cursor's `events` may be a view of them.
-- Grain: one row per event of a friend touched. Parameters: none.
create or replace temp table _rollup_events as
select user_key, type, occurred_at, detail
from query_table('"' || replace(current_database(), '"', '""') || '".main.events')
where user_key in (select user_key from temp._rollup_keys)
