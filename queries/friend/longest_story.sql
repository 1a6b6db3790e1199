-- The friend whose events span the longest time (the rollup's first and last event): the friend
-- page's hardest case, whose timeline reads the most of the time-ordered events (bench --friend-pages).
-- Grain: one row, or none without events. Parameters: none.
with final as (
    select user_key from rollup_friend_firsts
    where first_event_at is not null
    order by last_event_at - first_event_at desc, user_key
    limit 1
)
select * from final
