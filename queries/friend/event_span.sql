-- The span of one friend's events (rollup_friend_firsts, as of its last update), so that the
-- friend page's timeline reads only that part of the time-ordered events table.
-- Grain: one row, or none for a friend the rollup does not hold yet. Parameters: $user_key.
-- first_event_at / last_event_at are null when the friend had no event at the last update.
select first_event_at, last_event_at from rollup_friend_firsts where user_key = $user_key::integer
