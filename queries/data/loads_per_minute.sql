-- Events loaded per minute over the last $minutes minutes, by when they reached the receiver
-- (received_at), in the account's time zone.
-- Grain: one row per minute with at least one event. Parameters: $minutes (integer).
select date_trunc('minute', received_at) as minute, count(*) as events
from events
where received_at >= current_timestamp - to_minutes($minutes::integer)
group by all
order by minute
