-- Incremental rollups, per day (rollups.apply): the days from the first one touched go before
-- rollups/richmenu_daily, reading only the events of those days, adds them again.
-- Grain: one delete per day, route and area from $day. Parameters: $day (date, the account's time zone).
delete from rollup_richmenu_daily where day >= $day::date
