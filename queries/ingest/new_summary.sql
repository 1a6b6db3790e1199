-- Loader step 3a: how many of the round's events are new (the rest are duplicates), the earliest
-- of them (the per-day rollups are redone from its day), and the earliest of those that can count
-- for a delivery (rollup_delivery_route: a reaction carrying a delivery, or a purchase): without
-- one, a round of follows, blocks and messages redoes no delivery's reactions (issue 18).
-- Grain: one row. Parameters: $reaction_types (varchar[]).
select count(*) as loaded, min(occurred_at) as first_new,
       min(occurred_at) filter (where (delivery_id is not null and list_contains($reaction_types::varchar[], type))
                                   or type in ('purchase', 'conversion')) as first_counted
from _ingest_new
