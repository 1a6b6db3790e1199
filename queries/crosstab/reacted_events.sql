-- Cross-tab: friends with a per-user reaction (message, postback, rich-menu tap, survey answer,
-- tracked-link click) in the period, into the temp table ct_reacted, from the events (periods
-- shorter than the activity rollup's window).
-- Grain: one row per friend who reacted. Parameters: $start, $end (half-open), $reaction_types.
create or replace temp table ct_reacted as
select distinct user_key
from events
where occurred_at >= $start and occurred_at < $end and list_contains($reaction_types::varchar[], type)
