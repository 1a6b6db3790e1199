-- The members of one plan's rule whom the warehouse found in the send's excluded segment (a segment,
-- like the rule, is judged on the warehouse as of its last load).
-- Grain: one row per member (user_key, user_id). Parameters: $snapshot_id.
with final as (
    select user_key, user_id from plan_snapshots.members where snapshot_id = $snapshot_id and in_excluded
)
select * from final
