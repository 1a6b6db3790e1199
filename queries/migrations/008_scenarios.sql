-- Schema version 8 (issue 14): step scenarios (ステップ配信). A scenario is a trigger, a status and
-- its settings; its steps say when and what; an enrolment is one friend's own clock through it.
-- Every step sent is a delivery of kind 'step' in the send ledger (scenario_deliveries says which
-- scenario and step), so reports, the frequency cap, the quota and costs see it.

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

-- The ledger learns reply messages: a welcome step answers the follow's reply token while it is valid.
alter table delivery_recipients add column if not exists reply_token varchar;
alter table delivery_recipients add column if not exists reply_expires_at timestamptz;
alter table delivery_recipients add column if not exists via varchar;   -- reply, push or multicast: how it went (or was tried)
