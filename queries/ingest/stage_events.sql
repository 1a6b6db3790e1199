-- Loader step 2: every webhook event and tracked-link click of the batch as an events row, with
-- LINE's type mapped to ours and the postback `data` convention applied (README: "Postback data").
-- Grain: one row per event (duplicates still in). Parameters: none.
-- Definitions:
--   event_id  LINE's webhookEventId; for an event without one, sha256 of its JSON (a redelivery
--             carries the same JSON, so it still dedupes); for a click, the receiver's id.
--   type      follow, unfollow, message, richmenu_tap (postback menu=<area>), survey_answer
--             (postback survey=<question>&answer=<answer>), postback (any other data), link_click,
--             and LINE's other types in snake_case (accountLink -> account_link, beacon, …).
--   reason    why the event is quarantined instead of loaded; null when it loads.
create or replace temp table _ingest_events as
with raw as (
    select file, line_no, received_at, unnest(evs) as e, unnest(range(len(evs))) as idx
    from _ingest_records
    where kind = 'webhook' and reason is null
),
parsed as (  -- each event parsed once into the fields we use; e itself is kept as the raw payload
    select file, line_no, idx, received_at, e,
           case when json_type(e) = 'OBJECT' then from_json(e, '{
               "type": "VARCHAR", "webhookEventId": "VARCHAR", "timestamp": "VARCHAR",
               "source": {"type": "VARCHAR", "userId": "JSON"}, "postback": {"data": "VARCHAR"},
               "message": {"type": "VARCHAR", "text": "VARCHAR"}, "follow": {"isUnblocked": "VARCHAR"},
               "link": {"result": "VARCHAR", "nonce": "VARCHAR"}, "beacon": {"type": "VARCHAR"}}') end as f
    from raw
),
fields as (
    select file, line_no, idx, received_at, e,
           f is not null as is_object,
           f.type as line_type,
           f.webhookEventId as webhook_event_id,
           try_cast(f.timestamp as bigint) as ts,
           f.source.type as source_type,
           json_type(f.source.userId) as user_id_type,
           case when json_type(f.source.userId) = 'VARCHAR' then f.source.userId ->> '$' end as user_id,
           case when f.type = 'postback' then '&' || f.postback.data end as pb,  -- regexes below only on postbacks
           f.postback.data as postback_data,
           f.message.type as message_type,
           f.message.text as message_text,
           f.follow.isUnblocked as is_unblocked,
           f.link.result as link_result,
           f.link.nonce as link_nonce,
           f.beacon.type as beacon_type
    from parsed
),
postback as (
    select *,
           nullif(url_decode(replace(regexp_extract(pb, '&menu=([^&]*)', 1), '+', ' ')), '') as menu,
           nullif(url_decode(replace(regexp_extract(pb, '&survey=([^&]*)', 1), '+', ' ')), '') as survey,
           nullif(url_decode(replace(regexp_extract(pb, '&answer=([^&]*)', 1), '+', ' ')), '') as answer,
           nullif(url_decode(replace(regexp_extract(pb, '&tag=([^&]*)', 1), '+', ' ')), '') as tag,
           nullif(url_decode(replace(regexp_extract(pb, '&route=([^&]*)', 1), '+', ' ')), '') as route,
           nullif(url_decode(replace(regexp_extract(pb, '&d=([^&]*)', 1), '+', ' ')), '') as delivery_id
    from fields
),
webhook_events as (
    select file, line_no, idx, received_at,
           coalesce(webhook_event_id, 'sha256:' || sha256(e::varchar)) as event_id,
           user_id, source_type,
           case when line_type = 'postback' and menu is not null then 'richmenu_tap'
                when line_type = 'postback' and survey is not null and answer is not null then 'survey_answer'
                -- one-word types as they are; the regex only for camelCase ones (accountLink, …)
                when line_type in ('message', 'follow', 'unfollow', 'postback', 'join', 'leave', 'beacon',
                                   'things', 'unsend', 'membership') then line_type
                else lower(regexp_replace(line_type, '([a-z0-9])([A-Z])', '\1_\2', 'g'))
           end as type,
           case when ts between 0 and 32503680000000 then make_timestamptz(ts * 1000) end as occurred_at,
           delivery_id,
           case when line_type = 'follow' and is_unblocked = 'true' then 'unblocked'
                when line_type = 'message' then message_type
                when line_type = 'postback' and menu is not null then menu
                when line_type = 'postback' and survey is not null and answer is not null then answer
                when line_type = 'postback' then postback_data
                when line_type = 'beacon' then beacon_type
                when line_type = 'accountLink' then link_result
           end as detail,
           e as payload,
           survey, answer, tag, route, message_text, link_result, link_nonce,
           case when not is_object then 'event is not a JSON object'
                when line_type is null then 'event has no type'
                when ts is null or ts < 0 or ts > 32503680000000 then 'event has no valid timestamp'
                when user_id_type not in ('VARCHAR', 'NULL') then 'source.userId is not a string'
                -- LINE's user ID shape (dashboard/line/ids.py): anything else is no LINE user
                when not regexp_full_match(user_id, 'U[0-9a-f]{32}')
                    then 'source.userId is not a LINE user ID (U and 32 lower-case hex digits)'
                when length(e::varchar) > 1000000 then 'event is larger than 1 MB'
           end as reason
    from postback
),
clicks as (
    select file, line_no, 0 as idx, received_at,
           'click:' || coalesce(id, sha256(line)) as event_id,
           nullif(user_id, '') as user_id, 'user' as source_type,
           'link_click' as type,
           received_at as occurred_at,
           nullif(delivery_id, '') as delivery_id,
           url as detail,
           line::json as payload,
           null as survey, null as answer, null as tag, null as route, null as message_text,
           null as link_result, null as link_nonce,
           case when nullif(user_id, '') is not null and not regexp_full_match(user_id, 'U[0-9a-f]{32}')
                then 'user_id is not a LINE user ID (U and 32 lower-case hex digits)' end as reason
    from _ingest_records
    where kind = 'link_click' and reason is null
)
select * from webhook_events
union all
select * from clicks
