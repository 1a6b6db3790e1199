-- LINE's statistics of one delivery, per day as LINE reported them (cumulative for the delivery;
-- null = under 20). No rows = never synced.
-- Grain: one row per day. Parameters: $delivery_id.
with final as (
    select day, impressions, unique_impressions, clicks, unique_clicks
    from delivery_stats
    where delivery_id = $delivery_id
)
select * from final order by day
