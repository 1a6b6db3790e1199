-- Sessions ended by log-out whose cookies could still be alive. Grain: one row per session id.
-- Parameters: $now.
select session_id from session_revocations where expires_at > $now
