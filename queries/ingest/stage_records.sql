-- Loader step 1: the spool lines of this batch parsed into records. _spool_chunks (file, first,
-- text), registered by dashboard/ingest.py, holds per file the new complete lines as one text and
-- the number of lines before them; empty lines are skipped. A line that is not a JSON object with a known kind is
-- kept with the reason it cannot be loaded (it goes to ingest_quarantine).
-- Each line is parsed once, into a struct (try(): a line that is not JSON gives null, not an error).
-- Grain: one row per spool line. Parameters: none.
create or replace temp table _ingest_records as
with split as (
    select file, first, string_split(text, chr(10)) as lines from _spool_chunks
),
numbered as (
    select file, first + unnest(range(1, len(lines) + 1)) as line_no, unnest(lines) as line from split
),
parsed as (
    select file, line_no, line,
           try(from_json(line, '{"kind": "VARCHAR", "received_at": "VARCHAR", "body": "VARCHAR",
                                 "id": "VARCHAR", "route": "VARCHAR", "user_id": "VARCHAR",
                                 "delivery_id": "VARCHAR", "url": "VARCHAR"}')) as r
    from numbered
    where line <> ''
),
bodies as (
    select *, case when r.kind = 'webhook' then try(from_json(r.body, '{"events": ["JSON"]}')).events end as evs
    from parsed
)
select file, line_no, line,
       r.kind, try_cast(r.received_at as timestamptz) as received_at, evs, r.id, r.route, r.user_id,
       r.delivery_id, r.url,
       case when r is null then 'not a JSON object (a line cut short by a crash during append?)'
            when coalesce(r.kind, '') not in ('webhook', 'link_click', 'route_hit', 'route_login')
                then 'unknown spool record kind'
            when try_cast(r.received_at as timestamptz) is null then 'no valid received_at'
            when r.kind = 'webhook' and evs is null then 'webhook body is not a JSON object with an events list'
       end as reason
from bodies
