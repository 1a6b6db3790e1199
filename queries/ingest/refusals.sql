-- Loader step 8b: the round's quarantined lines and events, and of them those the database refused
-- (a failed round, bisected: their reason starts with $p, loader.REFUSED) with the first such reason.
-- Grain: one row. Parameters: $p (varchar).
with quarantined as (
    select reason from _ingest_records where reason is not null
    union all
    select reason from _ingest_events where reason is not null
)
select count(*) as quarantined,
       count(*) filter (where starts_with(reason, $p)) as refused,
       min(reason) filter (where starts_with(reason, $p)) as refusal
from quarantined
