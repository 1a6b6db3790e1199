-- Each UTC day's events with a fingerprint of which events they are: an export rewrites the days whose
-- fingerprint changed since it last wrote them (a day's file then holds exactly that day's events).
-- Grain: one row per UTC day with events. Parameters: none.
select strftime(timezone('UTC', occurred_at), '%Y-%m-%d') as dt, count(*) as events,
       sum(hash(event_id))::varchar as fingerprint
from events
group by 1
order by 1
