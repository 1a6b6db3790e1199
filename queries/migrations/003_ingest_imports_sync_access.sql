-- Schema version 3: the loader's bookkeeping (spool offsets, quarantine, runs), route hits and
-- route attribution, CSV import history, LINE sync (insight per day, quota, API call log for
-- pacing), and two-person approval and log-in attempts for shared servers.

-- How far the loader has read each spool file: bytes up to the last complete line loaded.
create table if not exists ingest_offsets (
    file          varchar primary key,   -- spool file name (YYYYMMDD-HH.jsonl)
    offset_bytes  bigint not null,
    lines         bigint not null,
    updated_at    timestamptz not null
);

-- Events (or spool lines) the loader could not load, with why; they never block the rest.
create table if not exists ingest_quarantine (
    quarantined_at  timestamptz not null,
    file            varchar,
    line_no         bigint,
    event_id        varchar,
    reason          varchar not null,
    raw             varchar
);

-- One row per loader batch that loaded something (Data page: last load, events per minute).
create table if not exists ingest_runs (
    started_at     timestamptz not null,
    finished_at    timestamptz not null,
    lines          bigint not null,
    events_loaded  bigint not null,
    duplicates     bigint not null,
    quarantined    bigint not null,
    lag_seconds    double               -- oldest loaded line: load time minus receive time
);

-- Hits on route links (/f/<route>); also counted into site_visits (source route_link).
create table if not exists route_hits (
    hit_id  varchar primary key,
    route   varchar not null,
    hit_at  timestamptz not null
);

-- Which route brought a LINE user, learnt before or after the follow (LINE Login on the route
-- link, or a route keyword / postback sent on follow). The loader sets friends.inflow_route from it.
create table if not exists route_attributions (
    user_id        varchar primary key,
    route          varchar not null,
    method         varchar not null,      -- line_login, keyword, postback, import
    attributed_at  timestamptz not null
);

-- One row per CSV import (dry runs included): what was read, what changed, the bad rows.
create table if not exists import_runs (
    import_id    varchar primary key,
    kind         varchar not null,        -- customers, purchases, visits, tags
    file_name    varchar,
    file_sha256  varchar,
    encoding     varchar,
    actor        varchar,
    started_at   timestamptz not null,
    finished_at  timestamptz,
    dry_run      boolean not null,
    status       varchar not null,        -- committed, dry_run, rejected, failed
    rows_total   bigint,
    rows_ok      bigint,
    rows_bad     bigint,
    inserted     bigint,
    updated      bigint,
    unchanged    bigint,
    errors       json                     -- [{line, reason}], first 1,000
);

alter table deliveries add column if not exists link_tracking varchar;
alter table deliveries add column if not exists cost_yen decimal(14, 2);     -- extra-message cost planned (approval threshold)   -- per_user, per_delivery (dashboard/messaging/links.py)
alter table friends add column if not exists added_by varchar;         -- webhook, sync, import, demo
alter table customers add column if not exists email varchar;        -- raw, only when a setting allows
alter table customers add column if not exists name varchar;
alter table customers add column if not exists updated_at timestamptz;

-- LINE sync: one row per call to LINE's API made by sync (insight allows 60 per hour: pacing).
create table if not exists line_api_calls (
    called_at  timestamptz not null,
    endpoint   varchar not null,
    status     integer
);

create table if not exists line_sync_runs (
    started_at   timestamptz not null,
    finished_at  timestamptz,
    part         varchar not null,        -- followers, profiles, insight_followers, delivery_counts, unit_stats, request_stats, quota
    status       varchar not null,        -- ok, skipped, failed, paced
    detail       varchar
);

-- LINE Insight: friends per day as LINE counts them (aggregate).
create table if not exists insight_followers (
    day               date primary key,
    followers         bigint,
    targeted_reaches  bigint,
    blocks            bigint,
    fetched_at        timestamptz not null
);

-- LINE Insight: messages delivered per day by kind (aggregate).
create table if not exists insight_message_delivery (
    day               date primary key,
    broadcast         bigint,
    targeting         bigint,
    auto_response     bigint,
    welcome_response  bigint,
    chat              bigint,
    api_broadcast     bigint,
    api_push          bigint,
    api_multicast     bigint,
    api_narrowcast    bigint,
    api_reply         bigint,
    fetched_at        timestamptz not null
);

-- Message quota and consumption as LINE reported them.
create table if not exists line_quota (
    checked_at   timestamptz not null,
    quota_type   varchar,                 -- none, limited
    quota_value  bigint,
    total_usage  bigint
);

-- Two-person approval of large sends: bound to the exact messages and audience (fingerprint).
create table if not exists approvals (
    delivery_id   varchar primary key,
    fingerprint   varchar not null,       -- SHA-256 over messages + audience + schedule
    requested_by  varchar not null,
    requested_at  timestamptz not null,
    status        varchar not null,       -- pending, approved, rejected, voided
    decided_by    varchar,
    decided_at    timestamptz,
    reason        varchar
);

create table if not exists login_attempts (
    "at"      timestamptz not null,
    username  varchar not null,
    ok        boolean not null,
    client    varchar
);
