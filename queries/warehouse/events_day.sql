-- One UTC day of events for its Parquet file, in time order; the payload as JSON text (any engine reads it).
-- Grain: one row per event with occurred_at in [$lo, $hi). Parameters: $lo, $hi (UTC instants).
select event_id, user_key, user_id, type, occurred_at, received_at, delivery_id, detail, amount,
       payload::varchar as payload
from events
where occurred_at >= $lo and occurred_at < $hi
order by occurred_at, event_id
