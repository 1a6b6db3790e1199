-- After an approval: awaiting_approval becomes scheduled (time still ahead) or planned.
-- Grain: one row per delivery. Parameters: $id.
update deliveries
set status = case when scheduled_at > current_timestamp then 'scheduled' else 'planned' end, error = null
where delivery_id = $id and status = 'awaiting_approval'
