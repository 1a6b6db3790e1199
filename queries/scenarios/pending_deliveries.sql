-- Step deliveries not finished yet (planned, or interrupted while sending): `scenarios run` sends them.
-- Grain: one row per delivery, oldest first. Parameters: none.
select d.delivery_id from deliveries d join scenario_deliveries s using (delivery_id)
where d.status in ('planned', 'sending', 'queued') order by d.created_at, d.delivery_id
