-- Incremental rollups, per day and per delivery (rollups.apply): the first day a write touched (in
-- the account's time zone) and the sends it may have changed (a reaction counts for 24 h after a
-- send, a purchase for 7 days: sent in the 7 days before the first event written).
-- Grain: one row. Parameters: $day (date), $sent_from (timestamptz).
create or replace temp table _rollup_scope as select $day::date as day, $sent_from::timestamptz as sent_from
