-- Rollup: per delivery, each friend who reacted to it within 24 hours of the send, with the time of
-- their first such reaction — so that "reacted within 2 hours" (the send-time grid) is a count
-- over these rows, for everyone or for one audience's members, instead of a scan of the events.
-- Grain: one row per delivery and reacting friend. Parameters: $reaction_types (varchar[]).
-- Definition: a reaction is a per-user event of $reaction_types attributed to the delivery
-- (events.delivery_id) at or after its send and before 24 hours after it — the reactors of
-- rollup_delivery_route.reactors_24h, one row each.
with d as (
    select delivery_id, sent_at from deliveries where sent_at is not null
)
select e.delivery_id, e.user_key, min(e.occurred_at) as first_reaction_at
from events e
join d on d.delivery_id = e.delivery_id
where list_contains($reaction_types::varchar[], e.type) and e.user_key is not null
  and e.occurred_at >= d.sent_at and e.occurred_at < d.sent_at + interval 24 hour
group by e.delivery_id, e.user_key
