-- One log-in attempt at the local form (dashboard/access/logins.py check_login); never the password.
-- Written as a failure BEFORE the password is checked (a reservation, so parallel guesses count
-- against each other), and set to ok by auth/attempt_ok when it was right.
-- Grain: one row per attempt that was checked. Parameters: $attempt_id, $at, $username (an unknown
-- name only as its hash), $ok, $client (the client's IP, or null).
insert into login_attempts (attempt_id, "at", username, ok, client)
values ($attempt_id, $at, $username, $ok, $client)
