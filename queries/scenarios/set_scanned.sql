-- Trigger events up to $now have been looked at. Grain: one row. Parameters: $sid, $now.
update scenarios set scanned_until = $now where scenario_id = $sid
