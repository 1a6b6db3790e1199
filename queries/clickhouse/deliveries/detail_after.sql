-- ClickHouse override of queries/deliveries/detail_after.sql (same grain, parameters, definitions).
-- Why: the DuckDB text counts each day with correlated subqueries over range(0, 7); sqlglot makes
-- that generate_series(0, 7) (8 days in ClickHouse) and ClickHouse does not run the correlated
-- subqueries. Here each event gets its day number once and the days are joined to the counts.
-- A day is 86,400 s after the send (the account's zone has no daylight saving: Asia/Tokyo).
with d as (
    select sent_at from deliveries where delivery_id = {delivery_id:String} and sent_at is not null
),
days as (
    select arrayJoin(range(0, 7)) as day_no
),
e as (
    select ev.user_key as user_key, ev.type as type, ev.delivery_id as delivery_id,
           intDiv(toUnixTimestamp64Micro(ev.occurred_at) - toUnixTimestamp64Micro(d.sent_at), 86400000000) as day_no,
           ev.occurred_at < d.sent_at + interval 24 hour as in_24h
    from events ev cross join d
    where ev.occurred_at >= d.sent_at and ev.occurred_at < d.sent_at + interval 7 day
),
reactions as (
    select user_key, day_no, in_24h from e
    where delivery_id = {delivery_id:String} and has({reaction_types:Array(String)}, type)
),
reactors as (
    select day_no, count(distinct user_key) as n from reactions group by day_no
),
blocks as (
    select day_no, count() as n from e where type = 'unfollow' group by day_no
),
buyers as (
    select day_no, count(distinct user_key) as n from e
    where type = 'purchase' and user_key in (select user_key from reactions where in_24h)
    group by day_no
),
final as (
    select days.day_no as day_no, toInt64(ifNull(r.n, 0)) as reactors, toInt64(ifNull(b.n, 0)) as blocks,
           toInt64(ifNull(p.n, 0)) as buyers
    from days cross join d
    left join reactors r on r.day_no = days.day_no
    left join blocks b on b.day_no = days.day_no
    left join buyers p on p.day_no = days.day_no
)
select * from final order by day_no
