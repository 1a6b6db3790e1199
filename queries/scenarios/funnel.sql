-- A scenario's funnel per step: friends sent the step -> of them, reacted within 24 h of it ->
-- blocked within 24 h -> bought or converted within 7 days. A reaction is a per-user one (message,
-- postback, rich-menu tap, survey answer, tracked-link click); a block is an unfollow event.
-- Grain: one row per step that was sent (× inflow route when $by_route). Parameters: $scenario_name, $by_route
-- (boolean), $routes (list; empty = every route).
with sent as (
    select sd.step_no, r.user_id, r.user_key, r.sent_at, f.inflow_route
    from scenario_deliveries sd
    join scenarios s on s.scenario_id = sd.scenario_id
    join delivery_recipients r on r.delivery_id = sd.delivery_id
    left join friends f on f.user_id = r.user_id
    where s.name = $scenario_name and r.status = 'sent'
      and (len($routes) = 0 or list_contains($routes, f.inflow_route))
), outcomes as (
    select s.step_no, s.user_id, case when $by_route then s.inflow_route end as inflow_route,
           bool_or(e.type in ('message', 'postback', 'richmenu_tap', 'survey_answer', 'link_click')
                   and e.occurred_at < s.sent_at + interval 24 hour) as reacted,
           bool_or(e.type = 'unfollow' and e.occurred_at < s.sent_at + interval 24 hour) as blocked,
           bool_or(e.type in ('purchase', 'conversion') and e.occurred_at < s.sent_at + interval 7 day) as converted
    from sent s
    left join events e on e.user_key = s.user_key and e.occurred_at >= s.sent_at
                      and e.occurred_at < s.sent_at + interval 7 day
    group by s.step_no, s.user_id, 3
), final as (
    select step_no, inflow_route, count(*) as sent,
           count(*) filter (where reacted) as reacted,
           count(*) filter (where blocked) as blocked,
           count(*) filter (where converted) as converted
    from outcomes group by step_no, inflow_route
)
select * from final order by step_no, inflow_route
