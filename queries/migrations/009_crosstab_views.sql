-- Schema version 9 (issue 15): saved cross-tab views. A view is a name for one cross-tab's
-- choices — rows, columns, outcome and their parameters — so that an operator opens the same
-- question again next week; saving and deleting one is audited (audit_log, crosstab_view:<id>).
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
