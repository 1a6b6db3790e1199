-- Schema version 5 (issue 19, points 7 and 9): compose drafts kept per user, so that leaving the
-- compose page or reloading it no longer loses the messages, the audience choice and the title;
-- and a LINE sync part's result kept as code + parameters, so the Data page says it in its language.

-- One draft of one dashboard user: the compose page's fields as JSON (dashboard/messaging/drafts.py).
create table if not exists compose_drafts (
    draft_id    varchar primary key,
    owner       varchar not null,        -- the dashboard user (auth.User.name); nobody else sees it
    title       varchar,                 -- the delivery title typed so far, for the list
    state       varchar not null,        -- JSON: {"cmp_kind": "all", "msg_count": 1, "msg_0_text": "…", …}
    updated_at  timestamptz not null
);

-- A sync part's result as an i18n code with parameters (JSON, dashboard/intake/texts.py); detail keeps the English text.
alter table line_sync_runs add column if not exists said varchar;
