-- Loader step 2b (only after a failed round, see ingest._bisect): single events the database
-- refused are quarantined with its error text instead of loaded; the rest of their line loads.
-- Grain: one update per refused event. Parameters: none (reads _ingest_rejects).
update _ingest_events set reason = r.reason
from _ingest_rejects r
where r.idx is not null and _ingest_events.file = r.file and _ingest_events.line_no = r.line_no
  and _ingest_events.idx = r.idx and _ingest_events.reason is null
