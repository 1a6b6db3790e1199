-- Loader step 1b (only after a failed round, see ingest._bisect): whole spool lines the database
-- refused are quarantined with its error text, keeping their raw text; their events are not staged.
-- Grain: one update per refused line. Parameters: none (reads _ingest_rejects: file, line_no,
-- idx null for the whole line, reason).
update _ingest_records set reason = x.reason, line = x.raw
from (select r.file, r.line_no, r.reason, rtrim(s.raw, chr(10)) as raw
      from _ingest_rejects r join _spool_lines s on s.file = r.file and s.line_no = r.line_no
      where r.idx is null) x
where _ingest_records.file = x.file and _ingest_records.line_no = x.line_no
