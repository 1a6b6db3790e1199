-- Loader step 5: the new events, in time order, with the friend's integer key; a reaction without
-- an explicit delivery (postback d=…, tracked link) is attributed to the latest delivery sent to
-- that friend in the 24 hours before it (send ledger) — a proxy the Deliveries page names as such.
-- Grain: one row per new event. Parameters: $reaction_types (varchar[]), $min_ts (timestamptz).
insert into events (event_id, user_key, user_id, type, occurred_at, received_at, delivery_id, detail, amount, payload)
with recent_sends as (
    select r.user_id, r.delivery_id, r.sent_at
    from delivery_recipients r
    where r.status = 'sent' and r.sent_at >= $min_ts::timestamptz - interval 24 hour
      and r.user_id in (select user_id from _ingest_new)
),
attributed as (
    select n.event_id, arg_max(s.delivery_id, s.sent_at) as delivery_id
    from _ingest_new n
    join recent_sends s on s.user_id = n.user_id
     and s.sent_at <= n.occurred_at and s.sent_at > n.occurred_at - interval 24 hour
    where n.delivery_id is null and list_contains($reaction_types::varchar[], n.type)
    group by n.event_id
)
select n.event_id, f.user_key, n.user_id, n.type, n.occurred_at, n.received_at,
       coalesce(n.delivery_id, a.delivery_id), n.detail, null, n.payload
from _ingest_new n
left join friends f on f.user_id = n.user_id
left join attributed a using (event_id)
order by n.occurred_at  -- time order keeps the zone maps on occurred_at tight (dedupe, pages)
