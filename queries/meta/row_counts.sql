-- How many rows the main tables hold (the demo build's summary; an empty file has zeros).
-- Grain: one row, one column per table. Parameters: none.
select
    (select count(*) from friends) as friends,
    (select count(*) from events) as events,
    (select count(*) from deliveries) as deliveries,
    (select count(*) from customers) as customers,
    (select count(*) from friend_tags) as friend_tags,
    (select count(*) from friend_attributes) as friend_attributes,
    (select count(*) from site_visits) as site_visits,
    (select count(*) from delivery_stats) as delivery_stats
