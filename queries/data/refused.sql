-- Spool lines and events the database refused during a loader round (the round was split until
-- they were found; the rest loaded): how many, since when, and the latest error text.
-- Grain: one row. Parameters: $prefix (varchar, dashboard.intake.loader.REFUSED).
select count(*) as refused, min(quarantined_at) as first_at, max(quarantined_at) as last_at,
       substr(arg_max(reason, quarantined_at), length($prefix::varchar) + 1) as latest_reason
from ingest_quarantine
where starts_with(reason, $prefix::varchar)
