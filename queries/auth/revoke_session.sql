-- A session ended by log-out: its cookie is refused from now on, also after a restart.
-- Grain: one row per session id. Parameters: $session_id, $revoked_at, $expires_at (when the
-- cookie would have died anyway: the row can then be forgotten).
insert into session_revocations (session_id, revoked_at, expires_at)
values ($session_id, $revoked_at, $expires_at)
on conflict (session_id) do nothing
