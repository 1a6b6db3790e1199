-- Forget the plans' audiences but the $keep newest (the compose page plans again on every change, so
-- the process keeps only the last few; a plan whose audience was forgotten recounts nobody when
-- confirmed, and the operator confirms the new number).
-- Grain: the rows of the older snapshots. Parameters: $keep (integer).
delete from plan_snapshots.members
where snapshot_id not in (
    select snapshot_id from plan_snapshots.members
    group by snapshot_id
    order by max(taken_at) desc, snapshot_id
    limit $keep
)
