-- Import write step: new purchase events from the plan, in time order (events are stored in
-- occurred_at order: DuckDB's zone maps then skip most of the table for a date range).
-- Grain: one row per new order. Parameters: none (reads _import_plan).
insert into events (event_id, user_key, user_id, type, occurred_at, received_at, delivery_id, detail,
                    amount, payload)
select event_id, user_key, user_id, 'purchase', occurred_at, current_timestamp, null, category, amount,
       payload::json
from _import_plan
where change = 'insert'
order by occurred_at, event_id
