-- Cross-tab: friends with a per-user reaction in a period of at least N days (N = the activity
-- rollup's window), into the temp table ct_reacted, from rollup_active_spells without scanning the
-- events: a spell merges reaction days with gaps of at most N days, so its reactions run from
-- active_from - 1 to active_until - N with no N days free of reactions; a period of N days or more
-- that meets that range holds a reaction (exact).
-- Grain: one row per friend who reacted. Parameters: $first_day, $last_day (dates), $spell_days (N).
create or replace temp table ct_reacted as
select distinct user_key
from rollup_active_spells
where active_from - 1 <= $last_day::date and active_until - $spell_days::integer >= $first_day::date
