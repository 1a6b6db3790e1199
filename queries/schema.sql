-- Schema of the dashboard database (DuckDB), version 11 (see migrations/ for the steps from 1).
--
-- Public contract (DESIGN §3): the tables and columns below are read directly by operators and
-- their analysts. Add tables and columns freely; never rename or drop one. A change of shape is a
-- new file in queries/migrations/ (NNN_name.sql, upgrading version NNN-1 to NNN) plus the same
-- change here, so that a new database and an upgraded one end up identical.
--
-- All timestamps are timestamptz in UTC; days, hours and weekdays are computed in the account's
-- time zone (setting DASHBOARD_TIMEZONE) by the session time zone of each connection.
--
-- user_key: an integer twin of LINE's user_id on friends and events. Joins on an integer key are
-- 3-10x faster than on 33-character ids at a million friends (DESIGN §9); user_id stays for humans.

create table if not exists schema_version (
    version     integer not null,
    applied_at  timestamptz not null default current_timestamp,
    note        varchar
);

-- Inflow routes (流入経路) the account uses, with display names in both UI languages.
create table if not exists inflow_routes (
    route       varchar primary key,   -- short key used in route links (/f/<route>) and filters
    name_ja     varchar not null,
    name_en     varchar not null,
    created_at  timestamptz not null default current_timestamp
);

-- One row per LINE user who ever followed the account.
create table if not exists friends (
    user_key          integer not null unique,
    user_id           varchar primary key,       -- LINE userId (U + 32 hex)
    display_name      varchar,
    followed_at       timestamptz not null,      -- first follow
    last_followed_at  timestamptz,               -- latest follow (differs after an unblock)
    blocked_at        timestamptz,               -- latest block; null when never blocked
    is_following      boolean not null,
    inflow_route      varchar,                   -- inflow_routes.route; null when unknown
    customer_id       varchar,                   -- customers.customer_id when linked
    added_by          varchar                    -- what recorded the friend: webhook, sync, import, demo
);

create table if not exists friend_tags (
    user_key    integer,
    user_id     varchar not null,
    tag         varchar not null,
    tagged_at   timestamptz not null,
    origin      varchar not null,     -- survey, rich_menu, import, manual, rule
    primary key (user_id, tag)
);

create table if not exists friend_attributes (
    user_key    integer,
    user_id     varchar not null,
    key         varchar not null,     -- e.g. survey_concern, crm_rank
    value       varchar,
    updated_at  timestamptz not null,
    primary key (user_id, key)
);

-- One row per thing a user did. Stored in occurred_at order: DuckDB's zone maps then skip most
-- of the table for a date range.
-- type: follow, unfollow (= block), message, postback, richmenu_tap, survey_answer, link_click,
--       purchase, conversion, beacon, account_link, or any type LINE adds later.
create table if not exists events (
    event_id     varchar not null,    -- LINE webhookEventId, or our own id; unique (the loader dedupes)
    user_key     integer,
    user_id      varchar,
    type         varchar not null,
    occurred_at  timestamptz not null,
    received_at  timestamptz,
    delivery_id  varchar,             -- the delivery a reaction belongs to, when attributable
    detail       varchar,             -- rich-menu area, survey answer, product category, link label
    amount       decimal(12, 2),      -- purchase amount in yen
    payload      json                 -- raw webhook JSON, always kept for webhook events
);

-- Top of the funnel: visits from web analytics or route-link hits, per day and route.
create table if not exists site_visits (
    day           date not null,      -- in the account's time zone
    inflow_route  varchar not null,
    visits        bigint not null,
    source        varchar,            -- analytics, route_link, import
    primary key (day, inflow_route)
);

create table if not exists customers (
    customer_id        varchar primary key,
    email_hash         varchar,       -- SHA-256 of the normalised address
    line_user_id       varchar,       -- friends.user_id when linked
    first_purchase_at  timestamptz,
    orders             integer not null default 0,
    revenue            decimal(14, 2) not null default 0,
    email              varchar,       -- the raw address, only when DASHBOARD_STORE_RAW_EMAIL allows
    name               varchar,
    updated_at         timestamptz
);
-- schema 11: finding the customer of an e-mail address (the friend page's search) is a look-up
create index if not exists customers_email_hash on customers (email_hash);

create table if not exists segments (
    segment_id   varchar primary key,
    name         varchar not null unique,
    definition   json not null,             -- the rule (README: segment rules)
    created_by   varchar,
    created_at   timestamptz not null default current_timestamp,
    updated_by   varchar,
    updated_at   timestamptz
);

-- A saved segment's size per day (account time zone): the last count taken that day, or a
-- back-filled evaluation of the rule as of the end of that day.
create table if not exists segment_sizes (
    segment_id   varchar not null,
    day          date not null,
    size         bigint not null,
    computed_at  timestamptz not null,
    primary key (segment_id, day)
);

-- One send: a campaign, a step message or a test.
create table if not exists deliveries (
    delivery_id       varchar primary key,
    kind              varchar not null,      -- broadcast, multicast, narrowcast, step, test
    title             varchar,
    is_promotion      boolean not null default false,
    segment_id        varchar,
    messages          json,
    status            varchar not null,      -- awaiting_approval, planned, scheduled, sending, sent, partially_failed,
                                             -- paused, stopped (monthly limit), failed, cancelled
    planned_count     integer not null default 0,
    sent_count        integer not null default 0,
    failed_count      integer not null default 0,
    aggregation_unit  varchar,               -- customAggregationUnits name
    request_id        varchar,               -- x-line-request-id (narrowcast / broadcast)
    created_by        varchar,
    approved_by       varchar,
    created_at        timestamptz not null default current_timestamp,
    scheduled_at      timestamptz,
    sent_at           timestamptz,
    error             varchar,               -- why a send stopped, paused or failed
    link_tracking     varchar,               -- tracked links: per_user, per_delivery, null (dashboard/messaging/links.py)
    cost_yen          decimal(14, 2),        -- extra-message cost when planned (approval threshold)
    plan_exclusions   varchar                -- JSON: the audience before exclusions and each exclusion with its count (v6)
);

-- The send ledger: one row per delivery x recipient, written before the first API call.
create table if not exists delivery_recipients (
    delivery_id  varchar not null,
    user_id      varchar not null,
    user_key     integer,
    batch_no     integer not null,
    retry_key    varchar not null,     -- X-Line-Retry-Key (UUID) of the batch
    status       varchar not null,     -- planned, sent, failed, skipped, unknown (see sending.py)
    error        varchar,
    request_id   varchar,
    attempted_at timestamptz,          -- first time the batch was sent to LINE (retry keys live 24 h)
    sent_at      timestamptz,
    reply_token      varchar,          -- schema 8: a reply token the batch answers (step 0 of a scenario), else null
    reply_expires_at timestamptz,      -- the reply token's end (LINE: one minute after the event)
    via          varchar,              -- reply, push or multicast: how the batch went out (or was last tried)
    primary key (delivery_id, user_id)
);

-- LINE Insight per delivery and day: aggregate numbers as LINE reported them that day (cumulative
-- for the delivery), null when LINE reports under 20.
create table if not exists delivery_stats (
    delivery_id         varchar not null,
    day                 date not null,
    impressions         bigint,
    unique_impressions  bigint,
    clicks              bigint,
    unique_clicks       bigint,
    primary key (delivery_id, day)
);

-- "at" is quoted: it is a keyword in DuckDB 2.0 SQL.
create table if not exists audit_log (
    "at"    timestamptz not null default current_timestamp,
    actor   varchar not null,
    action  varchar not null,
    object  varchar,
    detail  json
);

-- Rollups: derived tables that make the pages fast at millions of events (DESIGN §9). Every one
-- can be rebuilt from the tables above at any time (dashboard.analytics.rollups.refresh); the page queries
-- read them instead of scanning all events. Their grain keeps the two page filters exact: the date
-- range and the inflow route. refresh recreates each one from its query (queries/rollups/), so a
-- rollup's shape can change without a migration; the definitions below are for new databases and
-- for readers.

-- Per friend: the first per-user reaction, purchase and block at or after the first add
-- (friends.blocked_at is the latest block; a re-follow would hide an early one).
create table if not exists rollup_friend_firsts (
    user_key           integer primary key,
    followed_at        timestamptz,        -- friends.followed_at (copied: one table per question)
    inflow_route       varchar,            -- friends.inflow_route
    follow_day         date,               -- first add, account time zone
    follow_week        date,               -- Monday of the first add's week
    first_reaction_at  timestamptz,
    first_purchase_at  timestamptz,
    first_blocked_at   timestamptz,
    first_event_at     timestamptz,        -- schema 10: the first and last event of the friend (any
    last_event_at      timestamptz         -- type, any time), the friend page's timeline reads within
);

-- Per friend: the days on which they count as active. A reaction on day d makes a friend active at
-- the midnights d+1 … d+N (window N = active_days); overlapping windows merge into one spell, so
-- "active at T" is a lookup of the one spell containing T instead of a distinct count over events.
create table if not exists rollup_active_spells (
    user_key      integer not null,
    active_from   date not null,      -- first midnight (account time zone) at which active
    active_until  date not null       -- last midnight at which active
);

-- Per delivery and inflow route: recipients (from the send ledger when the delivery has one,
-- otherwise an estimate: friends of the route following at the send time, as for a broadcast),
-- friends who reacted within 24 h, and those of them who bought within 7 days of the send.
create table if not exists rollup_delivery_route (
    delivery_id           varchar not null,
    inflow_route          varchar,
    recipients            bigint not null,
    recipients_estimated  boolean not null,
    reactors_24h          bigint not null,
    converters_7d         bigint not null
);

-- Per delivery and friend who reacted within 24 h of the send (issue 15): the first such reaction,
-- so that "reacted within 2 hours" (the send-time grid) is counted for any audience without
-- scanning the events.
create table if not exists rollup_delivery_reactors (
    delivery_id        varchar not null,
    user_key           integer not null,
    first_reaction_at  timestamptz not null
);

-- Adds (follow events) and blocks (unfollow events) per day (account time zone) and route.
create table if not exists rollup_daily_route (
    day           date not null,
    inflow_route  varchar,
    adds          bigint not null,
    blocks        bigint not null
);

-- Rich-menu taps per day (account time zone), route and area.
create table if not exists rollup_richmenu_daily (
    day           date not null,
    inflow_route  varchar,
    area          varchar,
    taps          bigint not null,
    tappers       bigint not null
);

-- Per friend, as of the last refresh (rollup_state.as_of): reactions in the last 7 / 30 / 90
-- days, the last reaction and purchase, the interest level and the main genre. Segments read it
-- for the conditions it answers exactly; everything else is computed from the events.
create table if not exists rollup_friend_activity (
    user_key          integer primary key,
    reactions_7d      integer not null,
    reactions_30d     integer not null,
    reactions_90d     integer not null,
    last_reaction_at  timestamptz,
    last_purchase_at  timestamptz,
    interest_level    varchar not null,   -- hot, warm, cold, dormant (thresholds in settings)
    genre             varchar             -- main interest; null when nothing points to one
);

-- Per friend (schema 10, issue 15): the cross-tab's one-value-per-friend dimensions and outcome
-- facts in one row, copied from friends, rollup_friend_firsts and rollup_friend_activity (as of its
-- refresh), so that a cross-tab of two such dimensions is one scan and one group-by.
create table if not exists rollup_friend_dims (
    user_key           integer primary key,
    followed_at        timestamptz,        -- friends.followed_at (first add)
    route              varchar,            -- friends.inflow_route, 'unknown' when not known
    follow_day         date,               -- first add, account time zone
    from_sync          boolean,            -- friends.added_by = 'sync' (known only from LINE's follower list)
    is_following       boolean,            -- friends.is_following
    customer_id        varchar,            -- friends.customer_id (the orders band joins customers)
    first_reaction_at  timestamptz,        -- rollup_friend_firsts
    first_purchase_at  timestamptz,
    first_blocked_at   timestamptz,
    interest_level     varchar,            -- rollup_friend_activity
    genre              varchar
);

create table if not exists rollup_state (
    name          varchar primary key,
    refreshed_at  timestamptz not null,
    active_days   integer,
    as_of         timestamptz          -- the instant "last N days" of rollup_friend_activity ends at
);

-- ---- since schema 3 (migrations/003) ----

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
    detail       varchar,
    said         varchar                  -- the detail as i18n code + parameters (JSON; schema version 5)
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
    client    varchar,
    attempt_id varchar             -- reserved before the password is checked (atomic rate limit)
);

-- LINE users who may receive test sends: kept by an admin (audited), nobody else can be a test recipient.
create table if not exists staff_recipients (
    user_id   varchar primary key,     -- LINE user ID (U + 32 hex)
    label     varchar,                 -- who this is, e.g. "Sato (marketing)"
    added_by  varchar not null,
    added_at  timestamptz not null
);

-- Sessions ended by log-out: a copy of the cookie stays refused after a restart, until it would have expired anyway.
create table if not exists session_revocations (
    session_id  varchar primary key,
    revoked_at  timestamptz not null,
    expires_at  timestamptz not null
);

-- Compose drafts per dashboard user (schema version 5, issue 19): the compose page's fields as JSON.
create table if not exists compose_drafts (
    draft_id    varchar primary key,
    owner       varchar not null,        -- the dashboard user (roles.User.name); nobody else sees it
    title       varchar,                 -- the delivery title typed so far, for the list
    state       varchar not null,        -- JSON: {"cmp_kind": "all", "msg_count": 1, "msg_0_text": "…", …}
    updated_at  timestamptz not null
);

-- ---- since schema 7 (migrations/007, issue 16) ----

-- One goal per KPI: the target, the day it should be reached, and the KPI's value when it was set
-- (progress is measured from there). dashboard/checkup/goals.py; every change is in audit_log.
create table if not exists goals (
    kpi          varchar primary key,     -- friends, following, active_friends, block_rate, reactions_per_delivery, purchases
    target       double not null,
    due_on       date not null,           -- account time zone
    baseline     double,                  -- the KPI's value at set_at (null when it had none)
    set_by       varchar not null,
    set_at       timestamptz not null
);

-- One alert raised by a check-up rule for one subject (a route, a rich-menu area, a delivery, or ''
-- for the whole account), from the first check that saw it until a check no longer sees it.
create table if not exists alerts (
    alert_id      varchar primary key,
    rule          varchar not null,       -- promotion_share, reactions_falling, block_spike, route_blocks, silent_friends,
                                          -- quota_runout, heavy_receivers, menu_area, loader
    subject       varchar not null,       -- what it is about within the rule ('' = the account)
    raised_at     timestamptz not null,
    last_seen_at  timestamptz not null,   -- the latest check that still saw it
    resolved_at   timestamptz,            -- the first check that no longer saw it
    evidence      json not null,          -- the numbers behind it (latest check)
    status        varchar not null,       -- open, acknowledged, muted, resolved
    muted_until   timestamptz,            -- muted: shown again after this instant if still seen
    acted_by      varchar,                -- who acknowledged or muted it
    acted_at      timestamptz
);

-- One row per check-up run (the worker's, or a page's when the last one is too old).
create table if not exists alert_checks (
    checked_at  timestamptz not null,
    as_of       timestamptz not null,     -- the instant the rules looked back from
    fired       integer not null,         -- findings of that run
    seconds     double
);

-- ---- since schema 8 (migrations/008, issue 14): step scenarios ----

-- One step scenario (README: scenario files). Triggers count only from activated_at: turning a
-- scenario on never enrols existing friends by surprise (that is `scenarios enrol`, with a preview).
create table if not exists scenarios (
    scenario_id    varchar primary key,
    name           varchar not null unique,
    "trigger"      json not null,          -- {"type": "follow" | "tag" | "survey" | "segment" | "manual", …}
    status         varchar not null,       -- draft, active, paused, archived
    settings       json not null,          -- window, overdue policy, re-follow policy, exits, frequency cap
    created_by     varchar,
    created_at     timestamptz not null,
    updated_by     varchar,                -- who changed it last (every change is in audit_log)
    updated_at     timestamptz,
    activated_at   timestamptz,            -- first activation: trigger events from here on enrol
    paused_at      timestamptz,            -- while paused: when the pause began
    scanned_until  timestamptz             -- trigger events up to here have been looked at
);

-- One step of a scenario: when (timing), what (1-5 LINE message objects) and an optional condition.
create table if not exists scenario_steps (
    scenario_id  varchar not null,
    step_no      integer not null,         -- 0, 1, 2 … in order
    name         varchar,
    timing       json not null,            -- {"after": {"minutes": 30}} or {"day": 3, "at": "12:00"}
    messages     json not null,
    "condition"  json,                     -- {"rule": <segment rule>, "met": "send", "otherwise": "skip" | {"jump": n}}
    primary key (scenario_id, step_no)
);

-- One friend in one scenario: the step to send next and when, or how it ended.
create table if not exists scenario_enrolments (
    scenario_id       varchar not null,
    user_id           varchar not null,
    user_key          integer,
    step_no           integer not null,     -- the next step to send (the last one reached once completed)
    status            varchar not null,     -- active, completed, exited
    next_due_at       timestamptz,          -- when step_no is due; null once completed or exited
    enrolled_at       timestamptz not null, -- the trigger's time (the follow, the tag …): day 0 of day-based steps
    entered_at        timestamptz,          -- the latest (re-)entry: a block, purchase or exit tag after it ends the run
    exited_at         timestamptz,
    exit_reason       varchar,              -- blocked, converted, tag, left_segment
    enrolled_by       varchar,              -- trigger, refollow, manual:<actor>
    last_sent_at      timestamptz,          -- the last step planned for this friend
    reply_token       varchar,              -- the follow event's reply token (step 0 may answer it for free)
    reply_expires_at  timestamptz,          -- LINE accepts a reply token for one minute
    primary key (scenario_id, user_id)
);

-- Which scenario and step a delivery of kind 'step' carries (one delivery per step and chunk).
create table if not exists scenario_deliveries (
    delivery_id  varchar primary key,
    scenario_id  varchar not null,
    step_no      integer not null,
    planned_at   timestamptz not null
);

-- A segment-triggered scenario's members at its last evaluation: who newly matches is who is not here.
create table if not exists scenario_segment_members (
    scenario_id  varchar not null,
    user_key     integer not null,
    primary key (scenario_id, user_key)
);

-- Saved cross-tab views (issue 15, schema version 9): a name for one cross-tab's choices — rows,
-- columns, outcome and their parameters; saving and deleting one is audited.
create table if not exists crosstab_views (
    view_id     varchar primary key,
    name        varchar not null unique,
    rows_dim    varchar not null,      -- dashboard.analytics.crosstab.DIMENSIONS
    cols_dim    varchar not null,
    outcome     varchar not null,      -- dashboard.analytics.crosstab.OUTCOMES
    params      json not null,         -- {"tag_prefix", "attr_key", "scenario", "days", "min_count", "weeks"}
    created_by  varchar,
    created_at  timestamptz not null
);
