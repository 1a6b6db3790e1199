-- The recipients of one plan read from the warehouse: counted when the operator confirms and
-- materialised into the send ledger (messaging/sending.py plan(source=…)) — the very same rows.
-- Grain: one row per recipient (user_key, user_id). Parameters: $snapshot_id.
with final as (
    select user_key, user_id from plan_snapshots.members where snapshot_id = $snapshot_id
)
select * from final
