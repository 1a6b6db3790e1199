-- Forget log-in attempts older than any rate-limit window (the audit log keeps what matters).
-- Grain: rows deleted. Parameters: $before.
delete from login_attempts where "at" < $before
