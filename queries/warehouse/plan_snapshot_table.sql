-- The audiences of send plans read from the warehouse (dashboard/warehouse/audience.py), one row per
-- recipient of a plan; kept in memory for the time a plan may wait for its confirmation.
-- Grain: no rows. Parameters: none.
create table if not exists plan_snapshots.members (
    snapshot_id  varchar not null,
    user_key     integer,
    user_id      varchar not null,
    taken_at     timestamptz not null
)
