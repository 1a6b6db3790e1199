-- What each delivery reached and what followed.
-- Grain: one row per delivery sent in [start, end), test sends left out (they are listed apart:
-- deliveries/test_sends.sql).
-- Parameters: $start, $end (timestamptz), $routes (varchar[]; empty = all).
-- Definitions:
--   status                the delivery's status code (sent, partially_failed, paused, stopped …).
--   recipients            sent count (messages billed), all routes.
--   unique_impressions,   LINE Insight aggregates (opens and clicks as LINE counts them, not per
--   unique_clicks         user), cumulative: the latest day's value. imp_under_20 / clk_under_20 =
--                         LINE reported under 20 (null);
--                         has_stats = false when no statistics were synced.
--   reactors_24h          distinct friends who reacted to this delivery within 24 h.
--   blocks_24h            blocks in the 24 h after sending (all blocks in that time, not
--                         attributable to one message).
--   conversions_7d        friends who reacted to this delivery and bought within 7 days of sending.
--   Route filter: reactors, blocks and conversions count only friends of the chosen routes.
with d as (
    select delivery_id, title, kind, is_promotion, status, sent_at, sent_count
    from deliveries
    where sent_at >= $start and sent_at < $end and kind not in ('test', 'single', 'reply')   -- one-to-one messages (friend page) are no deliveries
),
stats as (
    -- LINE's statistics of a delivery are cumulative and updated for 14 days: the latest day's
    -- row is the whole delivery's number (adding days would count a friend twice).
    select s.delivery_id,
           arg_max(s.unique_impressions, s.day) as unique_impressions,
           arg_max(s.unique_clicks, s.day) as unique_clicks,
           arg_max(s.unique_impressions is null, s.day) as imp_under_20,
           arg_max(s.unique_clicks is null, s.day) as clk_under_20
    from delivery_stats s join d using (delivery_id)
    group by s.delivery_id
),
reactions as (
    select r.delivery_id, sum(r.reactors_24h) as reactors_24h, sum(r.converters_7d) as conversions_7d
    from rollup_delivery_route r join d using (delivery_id)
    where len($routes::varchar[]) = 0 or list_contains($routes::varchar[], r.inflow_route)
    group by r.delivery_id
),
unfollows as (
    select e.occurred_at
    from events e
    join friends f on f.user_key = e.user_key
    where e.type = 'unfollow' and e.occurred_at >= $start and e.occurred_at < $end + interval 1 day
      and (len($routes::varchar[]) = 0 or list_contains($routes::varchar[], f.inflow_route))
),
blocks as (
    select d.delivery_id, count(*) as blocks_24h
    from d join unfollows u on u.occurred_at >= d.sent_at and u.occurred_at < d.sent_at + interval 24 hour
    group by d.delivery_id
),
final as (
    select d.delivery_id, d.sent_at, d.title, d.kind, d.is_promotion, d.status, d.sent_count as recipients,
           s.unique_impressions, s.unique_clicks,
           coalesce(s.imp_under_20, false) as imp_under_20,
           coalesce(s.clk_under_20, false) as clk_under_20,
           s.delivery_id is not null as has_stats,
           coalesce(r.reactors_24h, 0)::bigint as reactors_24h,
           coalesce(b.blocks_24h, 0)::bigint as blocks_24h,
           coalesce(r.conversions_7d, 0)::bigint as conversions_7d
    from d
    left join stats s using (delivery_id)
    left join reactions r using (delivery_id)
    left join blocks b using (delivery_id)
)
select * from final order by sent_at desc
