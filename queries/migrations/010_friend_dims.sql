-- Schema version 10 (issue 15, speed of the cross-tab and the friend page).
-- rollup_friend_dims: per friend, the cross-tab's one-value-per-friend dimensions and outcome facts
-- (queries/rollups/friend_dims.sql; the same definition as in schema.sql). rollup_friend_firsts
-- gains first_event_at and last_event_at: the span of the friend's events, within which the friend
-- page reads the time-ordered events (the rebuild makes the table anew with them; rollups.outdated
-- sees the missing columns too). Both are made by the next rebuild of the rollups: the mark
-- below makes the next start rebuild them all (a minute at a million friends), as after an
-- interrupted write.
create table if not exists rollup_friend_dims (
    user_key           integer primary key,
    followed_at        timestamptz,
    route              varchar,
    follow_day         date,
    from_sync          boolean,
    is_following       boolean,
    customer_id        varchar,
    first_reaction_at  timestamptz,
    first_purchase_at  timestamptz,
    first_blocked_at   timestamptz,
    interest_level     varchar,
    genre              varchar
);
insert or replace into rollup_state (name, refreshed_at) values ('dirty', current_timestamp);
