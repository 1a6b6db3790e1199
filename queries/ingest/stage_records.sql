-- Loader step 1: the spool lines of this batch parsed into records. _spool_lines (file, line_no,
-- raw), registered by dashboard/intake/loader.py, holds the new complete lines, each with its newline
-- (JSON allows the trailing whitespace); empty lines are skipped. A line that is not a JSON object
-- with a known kind is kept with the reason it cannot be loaded (it goes to ingest_quarantine).
-- Each line is parsed once, into a struct (try(): a line that is not JSON gives null, not an error).
-- The text of a line is only kept where it is still needed: quarantined lines and link clicks
-- (a webhook line's events are kept, and copying every line would double the batch in memory).
-- Grain: one row per spool line. Parameters: none.
create or replace temp table _ingest_records as
with parsed as (
    select file, line_no, raw,
           try(from_json(raw, '{"kind": "VARCHAR", "received_at": "VARCHAR", "body": "VARCHAR",
                                "id": "VARCHAR", "route": "VARCHAR", "user_id": "VARCHAR",
                                "delivery_id": "VARCHAR", "url": "VARCHAR"}')) as r
    from _spool_lines
    where raw <> chr(10)
),
bodies as (
    select *, case when r.kind = 'webhook' then try(from_json(r.body, '{"events": ["JSON"]}')).events end as evs
    from parsed
),
checked as (
    select file, line_no, raw,
           r.kind, try_cast(r.received_at as timestamptz) as received_at, evs, r.id, r.route, r.user_id,
           r.delivery_id, r.url,
           case when r is null then 'not a JSON object (a line cut short by a crash during append?)'
                when coalesce(r.kind, '') not in ('webhook', 'link_click', 'route_hit', 'route_login')
                    then 'unknown spool record kind'
                when try_cast(r.received_at as timestamptz) is null then 'no valid received_at'
                when r.kind = 'webhook' and evs is null then 'webhook body is not a JSON object with an events list'
           end as reason
    from bodies
)
select file, line_no,
       case when reason is not null or kind <> 'webhook' then rtrim(raw, chr(10)) end as line,
       kind, received_at, evs, id, route, user_id, delivery_id, url, reason
from checked
