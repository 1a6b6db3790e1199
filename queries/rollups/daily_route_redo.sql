-- Incremental rollups, per day (rollups.apply): the days from the first one touched go before
-- rollups/daily_route, reading only the events of those days, adds them again.
-- Grain: one delete per day and route from $day. Parameters: $day (date, the account's time zone).
delete from rollup_daily_route where day >= $day::date
