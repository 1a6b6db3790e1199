-- First and last event time in the database, for the default date range.
-- Grain: one row. Parameters: none.
select min(occurred_at) as first_event, max(occurred_at) as last_event from events
