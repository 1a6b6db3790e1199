-- What LINE's statistics say about a delivery with a batch whose answer was lost: the multicast
-- messages LINE counted on the batch's day (insight_message_delivery, LINE's day in UTC+9) beside
-- the multicast recipients our ledger records as sent that day, and the delivery's latest unit
-- statistics (delivery_stats, by its aggregation unit). LINE's figures exist only once sync has
-- fetched them; LINE counts per recipient, every API multicast of the account that day.
-- Grain: one row. Parameters: $delivery_id (varchar), $line_day (date, UTC+9).
with line_day as (
    select api_multicast from insight_message_delivery where day = $line_day
),
ours as (
    select count(*) as sent_that_day
    from delivery_recipients r join deliveries d using (delivery_id)
    where r.status = 'sent' and d.kind not in ('test', 'single', 'reply')   -- one-to-one pushes and replies: LINE counts them apart from multicasts
      and (r.sent_at at time zone 'Asia/Tokyo')::date = $line_day
),
unit as (
    select day as stats_day, unique_impressions, unique_clicks
    from delivery_stats where delivery_id = $delivery_id order by day desc limit 1
),
final as (
    select (select api_multicast from line_day) as line_multicast, o.sent_that_day,
           u.stats_day, u.unique_impressions, u.unique_clicks
    from ours o left join unit u on true
)
select * from final
