-- The members of one plan's rule as read from the warehouse: the base that DuckDB then narrows by
-- following, the frequency cap and the e-mail exclusion (judged now, from its own ledger), counted
-- when the operator confirms and materialised into the send ledger (messaging/sending.py plan(source=…)).
-- Grain: one row per member (user_key, user_id). Parameters: $snapshot_id.
with final as (
    select user_key, user_id from plan_snapshots.members where snapshot_id = $snapshot_id
)
select * from final
