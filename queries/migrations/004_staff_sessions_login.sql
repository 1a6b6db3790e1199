-- Schema version 4 (issue 12, hardening a shared server): the staff list that test sends may go
-- to, session revocations that survive a restart, and log-in attempts that can be reserved before
-- the password is checked (atomic rate limit).

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

alter table login_attempts add column if not exists attempt_id varchar;
