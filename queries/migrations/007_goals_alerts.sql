-- Schema version 7 (issue 16): the account's goals (KGI / KPI with a target and a date, set by an
-- admin) and the alerts the check-up raises from the articles' failure patterns, with what staff did
-- about them (acknowledged, muted for a while). Version 6 is another change (issue 10's scenarios).

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
