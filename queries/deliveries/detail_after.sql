-- What followed one delivery, per day for the 7 days from sending (day 0 = the first 24 h):
--   reactors   distinct friends with a reaction attributed to this delivery that day;
--   blocks     all blocks in the account that day (not attributable to one message);
--   buyers     friends who reacted to this delivery (within 24 h) and bought that day.
-- Grain: one row per day 0 … 6 after sending. Parameters: $delivery_id, $reaction_types (varchar[]).
with d as (
    select sent_at from deliveries where delivery_id = $delivery_id and sent_at is not null
),
days as (
    select range as day_no from range(0, 7)
),
reactions as (
    select e.user_key, e.occurred_at
    from events e, d
    where e.delivery_id = $delivery_id and list_contains($reaction_types::varchar[], e.type)
      and e.occurred_at >= d.sent_at and e.occurred_at < d.sent_at + interval 7 day
),
reactors_24h as (
    select distinct r.user_key from reactions r, d where r.occurred_at < d.sent_at + interval 24 hour
),
final as (
    select days.day_no,
           (select count(distinct r.user_key) from reactions r, d
             where r.occurred_at >= d.sent_at + to_days(days.day_no::integer)
               and r.occurred_at < d.sent_at + to_days(days.day_no::integer + 1))::bigint as reactors,
           (select count(*) from events e, d
             where e.type = 'unfollow' and e.occurred_at >= d.sent_at + to_days(days.day_no::integer)
               and e.occurred_at < d.sent_at + to_days(days.day_no::integer + 1))::bigint as blocks,
           (select count(distinct e.user_key) from events e, d
             where e.type = 'purchase' and e.user_key in (select user_key from reactors_24h)
               and e.occurred_at >= d.sent_at + to_days(days.day_no::integer)
               and e.occurred_at < d.sent_at + to_days(days.day_no::integer + 1))::bigint as buyers
    from days, d
)
select * from final order by day_no
