-- A scenario's status. Activation starts the trigger clock (once); a pause notes when it began; a
-- resume or activation moves the trigger scan to now (events during a pause do not enrol).
-- Grain: one row. Parameters: $sid, $status, $by, $now.
update scenarios
set status = $status, updated_by = $by, updated_at = $now,
    activated_at = case when $status = 'active' then coalesce(activated_at, $now) else activated_at end,
    paused_at = case when $status = 'paused' then $now end,
    scanned_until = case when $status = 'active' then $now else scanned_until end
where scenario_id = $sid
