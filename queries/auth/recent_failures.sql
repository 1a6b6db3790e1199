-- Failed log-ins in the rate-limit window that count against this user name or this client.
-- Grain: one row per failed attempt in ($since, $now], flagged by which of the two it counts against.
-- Parameters: $username, $client (null matches no client), $since, $now.
with failures as (
    select "at", username, client
    from login_attempts
    where not ok
      and "at" > $since
      and "at" <= $now
      and (username = $username or client = $client)
),
final as (
    select "at",
           username = $username as for_name,
           coalesce(client = $client, false) as for_client
    from failures
)
select "at", for_name, for_client from final order by "at"
