-- The warehouse's tables in ClickHouse (DASHBOARD_ENGINE=clickhouse, docs/clickhouse.md).
-- Same table and column names as queries/schema.sql (DESIGN §3), so the same query text reads
-- both; each table also carries account_id, first in its sorting key, so that one cluster serves
-- many accounts. The dashboard reads one account per process (setting DASHBOARD_ACCOUNT_ID): the
-- warehouse's dialect step puts `account_id = {account_id:String}` under every table it reads.
-- Loaded from the Parquet interchange (dashboard/warehouse/parquet.py): events incrementally
-- (_run: the export run a row came from, so a load repeated after a crash replaces its own rows),
-- the other tables as snapshots.
-- Every timestamp column is a DateTime64(6) in the account's time zone ({timezone}: the setting
-- DASHBOARD_TIMEZONE, checked to be a known IANA zone, is put in when the tables are made), so
-- toDate, toHour and toDayOfWeek give the account's days and hours as DuckDB's TimeZone does.
-- (ClickHouse's session_timezone does not reach columns of tables loaded from disk: measured.)
-- Statements are separated by a line holding only ';'.

create table if not exists events (
    account_id   LowCardinality(String),
    event_id     String,
    user_key     Nullable(Int32),
    user_id      Nullable(String),
    type         LowCardinality(String),
    occurred_at  DateTime64(6, '{timezone}'),
    received_at  Nullable(DateTime64(6, '{timezone}')),
    delivery_id  Nullable(String),
    detail       Nullable(String),
    amount       Nullable(Decimal(12, 2)),
    payload      Nullable(String),
    _run         UInt32,
    index run_idx _run type minmax granularity 1
) engine = MergeTree
partition by toYYYYMM(occurred_at)
order by (account_id, toDate(occurred_at), type, ifNull(user_key, -1))
;
create table if not exists friends (
    account_id        LowCardinality(String),
    user_key          Int32,
    user_id           String,
    display_name      Nullable(String),
    followed_at       DateTime64(6, '{timezone}'),
    last_followed_at  Nullable(DateTime64(6, '{timezone}')),
    blocked_at        Nullable(DateTime64(6, '{timezone}')),
    is_following      Bool,
    inflow_route      Nullable(String),
    customer_id       Nullable(String),
    added_by          Nullable(String),
    _version          UInt64
) engine = ReplacingMergeTree(_version)
order by (account_id, user_key)
;
create table if not exists friend_tags (
    account_id  LowCardinality(String),
    user_key    Nullable(Int32),
    user_id     String,
    tag         String,
    tagged_at   DateTime64(6, '{timezone}'),
    origin      String
) engine = MergeTree order by (account_id, tag, user_id)
;
create table if not exists friend_attributes (
    account_id  LowCardinality(String),
    user_key    Nullable(Int32),
    user_id     String,
    key         String,
    value       Nullable(String),
    updated_at  DateTime64(6, '{timezone}')
) engine = MergeTree order by (account_id, key, user_id)
;
create table if not exists customers (
    account_id         LowCardinality(String),
    customer_id        String,
    email_hash         Nullable(String),
    line_user_id       Nullable(String),
    first_purchase_at  Nullable(DateTime64(6, '{timezone}')),
    orders             Int32,
    revenue            Decimal(14, 2),
    email              Nullable(String),
    name               Nullable(String),
    updated_at         Nullable(DateTime64(6, '{timezone}'))
) engine = MergeTree order by (account_id, customer_id)
;
create table if not exists deliveries (
    account_id        LowCardinality(String),
    delivery_id       String,
    kind              String,
    title             Nullable(String),
    is_promotion      Bool,
    segment_id        Nullable(String),
    messages          Nullable(String),
    status            String,
    planned_count     Int32,
    sent_count        Int32,
    failed_count      Int32,
    aggregation_unit  Nullable(String),
    request_id        Nullable(String),
    created_by        Nullable(String),
    approved_by       Nullable(String),
    created_at        DateTime64(6, '{timezone}'),
    scheduled_at      Nullable(DateTime64(6, '{timezone}')),
    sent_at           Nullable(DateTime64(6, '{timezone}')),
    error             Nullable(String),
    link_tracking     Nullable(String),
    cost_yen          Nullable(Decimal(14, 2)),
    plan_exclusions   Nullable(String)
) engine = MergeTree order by (account_id, delivery_id)
;
create table if not exists delivery_recipients (
    account_id        LowCardinality(String),
    delivery_id       String,
    user_id           String,
    user_key          Nullable(Int32),
    batch_no          Int32,
    retry_key         String,
    status            String,
    error             Nullable(String),
    request_id        Nullable(String),
    attempted_at      Nullable(DateTime64(6, '{timezone}')),
    sent_at           Nullable(DateTime64(6, '{timezone}')),
    reply_token       Nullable(String),
    reply_expires_at  Nullable(DateTime64(6, '{timezone}')),
    via               Nullable(String)
) engine = MergeTree order by (account_id, delivery_id, user_id)
;
create table if not exists segments (
    account_id   LowCardinality(String),
    segment_id   String,
    name         String,
    definition   String,
    created_by   Nullable(String),
    created_at   DateTime64(6, '{timezone}'),
    updated_by   Nullable(String),
    updated_at   Nullable(DateTime64(6, '{timezone}'))
) engine = MergeTree order by (account_id, segment_id)
;
create table if not exists delivery_stats (
    account_id          LowCardinality(String),
    delivery_id         String,
    day                 Date,
    impressions         Nullable(Int64),
    unique_impressions  Nullable(Int64),
    clicks              Nullable(Int64),
    unique_clicks       Nullable(Int64)
) engine = MergeTree order by (account_id, delivery_id, day)
;
create table if not exists site_visits (
    account_id    LowCardinality(String),
    day           Date,
    inflow_route  String,
    visits        Int64,
    source        Nullable(String)
) engine = MergeTree order by (account_id, day, inflow_route)
;
create table if not exists inflow_routes (
    account_id  LowCardinality(String),
    route       String,
    name_ja     String,
    name_en     String,
    created_at  DateTime64(6, '{timezone}')
) engine = MergeTree order by (account_id, route)
;
create table if not exists segment_sizes (
    account_id   LowCardinality(String),
    segment_id   String,
    day          Date,
    size         Int64,
    computed_at  DateTime64(6, '{timezone}')
) engine = MergeTree order by (account_id, segment_id, day)
;
create table if not exists rollup_friend_firsts (
    account_id         LowCardinality(String),
    user_key           Int32,
    followed_at        Nullable(DateTime64(6, '{timezone}')),
    inflow_route       Nullable(String),
    follow_day         Nullable(Date),
    follow_week        Nullable(Date),
    first_reaction_at  Nullable(DateTime64(6, '{timezone}')),
    first_purchase_at  Nullable(DateTime64(6, '{timezone}')),
    first_blocked_at   Nullable(DateTime64(6, '{timezone}')),
    first_event_at     Nullable(DateTime64(6, '{timezone}')),
    last_event_at      Nullable(DateTime64(6, '{timezone}'))
) engine = MergeTree order by (account_id, user_key)
;
create table if not exists rollup_active_spells (
    account_id    LowCardinality(String),
    user_key      Int32,
    active_from   Date,
    active_until  Date
) engine = MergeTree order by (account_id, user_key, active_from)
;
create table if not exists rollup_delivery_route (
    account_id            LowCardinality(String),
    delivery_id           String,
    inflow_route          Nullable(String),
    recipients            Int64,
    recipients_estimated  Bool,
    reactors_24h          Int64,
    converters_7d         Int64
) engine = MergeTree order by (account_id, delivery_id)
;
create table if not exists rollup_daily_route (
    account_id    LowCardinality(String),
    day           Date,
    inflow_route  Nullable(String),
    adds          Int64,
    blocks        Int64
) engine = MergeTree order by (account_id, day)
;
create table if not exists rollup_richmenu_daily (
    account_id    LowCardinality(String),
    day           Date,
    inflow_route  Nullable(String),
    area          Nullable(String),
    taps          Int64,
    tappers       Int64
) engine = MergeTree order by (account_id, day)
;
create table if not exists rollup_friend_activity (
    account_id        LowCardinality(String),
    user_key          Int32,
    reactions_7d      Int64,
    reactions_30d     Int64,
    reactions_90d     Int64,
    last_reaction_at  Nullable(DateTime64(6, '{timezone}')),
    last_purchase_at  Nullable(DateTime64(6, '{timezone}')),
    interest_level    String,
    genre             Nullable(String)
) engine = MergeTree order by (account_id, user_key)
;
create table if not exists rollup_state (
    account_id    LowCardinality(String),
    name          String,
    refreshed_at  DateTime64(6, '{timezone}'),
    active_days   Nullable(Int32),
    as_of         Nullable(DateTime64(6, '{timezone}'))
) engine = MergeTree order by (account_id, name)
;
create table if not exists insight_message_delivery (
    account_id        LowCardinality(String),
    day               Date,
    broadcast         Nullable(Int64),
    targeting         Nullable(Int64),
    auto_response     Nullable(Int64),
    welcome_response  Nullable(Int64),
    chat              Nullable(Int64),
    api_broadcast     Nullable(Int64),
    api_push          Nullable(Int64),
    api_multicast     Nullable(Int64),
    api_narrowcast    Nullable(Int64),
    api_reply         Nullable(Int64),
    fetched_at        DateTime64(6, '{timezone}')
) engine = MergeTree order by (account_id, day)
;
create table if not exists rollup_delivery_reactors (
    account_id         LowCardinality(String),
    delivery_id        String,
    user_key           Int32,
    first_reaction_at  DateTime64(6, '{timezone}')
) engine = MergeTree order by (account_id, delivery_id, user_key)
;
create table if not exists insight_followers (
    account_id        LowCardinality(String),
    day               Date,
    followers         Nullable(Int64),
    targeted_reaches  Nullable(Int64),
    blocks            Nullable(Int64),
    fetched_at        DateTime64(6, '{timezone}')
) engine = MergeTree order by (account_id, day)
;
create table if not exists warehouse_loads (
    account_id  LowCardinality(String),
    kind        String,
    run         UInt32,
    loaded_at   DateTime64(6, '{timezone}')
) engine = ReplacingMergeTree(loaded_at) order by (account_id, kind)
