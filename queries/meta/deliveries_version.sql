-- What the Deliveries page and the quota show changes with each delivery's status and counts, also
-- between two rollup refreshes (a send scheduled, approved, under way): a fingerprint of them, the
-- second part of the data's version (dashboard/web/context.py data_version). deliveries holds one row
-- per send (hundreds), so this costs microseconds.
-- Grain: one row. Parameters: none.
select count(*) as deliveries,
       coalesce(sum(hash(delivery_id, status, planned_count, sent_count, failed_count, scheduled_at, sent_at,
                         approved_by, error)), 0) as fingerprint
from deliveries
