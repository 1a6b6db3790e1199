-- Loader step 6c: which route brought a friend — LINE Login on a route link (route_login spool
-- records), a postback route=<route>, or a text message #<route> naming a known route. The
-- first attribution of a user wins.
-- Grain: one row per newly attributed user. Parameters: none.
insert into route_attributions (user_id, route, method, attributed_at)
with found as (
    select user_id, route, 'line_login' as method, received_at as seen_at, 0 as rank
    from _ingest_records where kind = 'route_login' and reason is null
    union all
    select user_id, route, 'postback', occurred_at, 1 from _ingest_new where route is not null
    union all
    select n.user_id, r.route, 'keyword', n.occurred_at, 2
    from _ingest_new n join inflow_routes r on n.message_text = '#' || r.route
    where n.type = 'message'
)
select user_id, arg_min(route, row(rank, seen_at)), arg_min(method, row(rank, seen_at)), min(seen_at)
from found
where user_id is not null and route is not null and length(route) <= 40
group by user_id
on conflict (user_id) do nothing
