-- LINE sync, unit_stats and request_stats: a delivery's statistics as LINE reported them on $day
-- (the account's day of the sync), cumulative since the send. Null where LINE hides a number under
-- 20. impressions = displays of the most-displayed bubble (LINE counts displays per bubble);
-- clicks = URL opens summed over the message's links, null when any link's count is hidden.
-- Grain: one row per delivery and day, replaced by a later fetch the same day. Parameters:
-- $delivery_id, $day, $impressions, $unique_impressions, $clicks, $unique_clicks.
insert into delivery_stats (delivery_id, day, impressions, unique_impressions, clicks, unique_clicks)
values ($delivery_id, $day, $impressions, $unique_impressions, $clicks, $unique_clicks)
on conflict (delivery_id, day) do update set
    impressions = excluded.impressions, unique_impressions = excluded.unique_impressions,
    clicks = excluded.clicks, unique_clicks = excluded.unique_clicks
