-- Rollup: activity spells (see schema.sql). Days are in the session's (account's) time zone.
-- Grain: one row per friend and spell. Parameters: $reaction_types (varchar[]), $active_days (int).
with days as (
    select distinct user_key, occurred_at::date as day
    from events
    where list_contains($reaction_types::varchar[], type) and user_key is not null
),
gaps as (
    select user_key, day,
           case when day - lag(day) over (partition by user_key order by day) <= $active_days::integer
                then 0 else 1 end as starts_spell
    from days
),
spells as (
    select user_key, day, sum(starts_spell) over (partition by user_key order by day) as spell
    from gaps
)
select user_key, min(day) + 1 as active_from, max(day) + $active_days::integer as active_until
from spells
group by user_key, spell
