-- One log-in attempt at the local form (dashboard/auth.py check_login), right or wrong; never the password.
-- Grain: one row per attempt. Parameters: $at, $username, $ok, $client (the client's IP, or null).
insert into login_attempts ("at", username, ok, client)
values ($at, $username, $ok, $client)
