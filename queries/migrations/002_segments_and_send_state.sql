-- Schema version 2: who last changed a saved segment, daily segment sizes, and why a send stopped.
-- (Rollup tables need no migration: each refresh recreates them from queries/rollups/.)
alter table segments add column if not exists updated_by varchar;
alter table segments add column if not exists updated_at timestamptz;
alter table deliveries add column if not exists error varchar;
alter table delivery_recipients add column if not exists attempted_at timestamptz;
alter table rollup_state add column if not exists as_of timestamptz;
create table if not exists segment_sizes (
    segment_id   varchar not null,
    day          date not null,
    size         bigint not null,
    computed_at  timestamptz not null,
    primary key (segment_id, day)
);
