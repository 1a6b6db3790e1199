-- A delivery's ledger by status (planned, sent, failed, skipped, unknown).
-- Grain: one row per status. Parameters: $id (delivery_id).
select status, count(*) from delivery_recipients where delivery_id = $id group by 1
