-- Recipients of a step at the frequency cap: kept in the ledger as skipped with the reason, never sent.
-- Grain: one row per capped recipient. Parameters: $id (delivery_id), $reason; reads the temp frame capped (user_id).
update delivery_recipients set status = 'skipped', error = $reason
where delivery_id = $id and status = 'planned' and user_id in (select user_id from capped)
