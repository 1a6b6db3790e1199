-- The audiences of send plans read from the warehouse (dashboard/warehouse/send_audience.py), one row
-- per member of a plan's rule with whether the warehouse found them in the excluded segment; kept in
-- memory for the time a plan may wait for its confirmation.
-- Grain: no rows. Parameters: none.
create table if not exists plan_snapshots.members (
    snapshot_id  varchar not null,
    user_key     integer,
    user_id      varchar not null,
    in_excluded  boolean not null,
    taken_at     timestamptz not null
)
