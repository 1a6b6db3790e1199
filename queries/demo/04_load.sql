-- Demo account, step 4: write everything into the dashboard's tables (empty before this step).
-- Events go in occurred_at order so that date ranges skip most of the table.

insert into inflow_routes (route, name_ja, name_en, created_at)
select route, name_ja, name_en, (select start_ts from demo_p) from demo_routes order by route_idx;

insert into deliveries (delivery_id, kind, title, is_promotion, messages, status, planned_count,
                        sent_count, failed_count, request_id, created_by, created_at, sent_at)
select d.delivery_id, 'broadcast', d.title, d.is_promotion,
       json_array(json_object('type', 'text', 'text', d.title)), 'sent',
       r.recipients, r.recipients, 0, 'demo-req-' || d.didx::varchar, 'demo',
       d.sent_at - to_hours(2), d.sent_at
from demo_deliveries d
join (
    select x.didx,
           (select count(*) from demo_friends f where f.followed_at < x.sent_at
                and (f.blocked_at is null or f.blocked_at > x.sent_at)) as recipients
    from demo_deliveries x
) r using (didx)
order by d.didx;

-- LINE Insight aggregates, cumulative per delivery as LINE reports them day by day: impressions
-- fall as sending gets more frequent; under 20 is null.
insert into delivery_stats (delivery_id, day, impressions, unique_impressions, clicks, unique_clicks)
with base as (
    select d.delivery_id, d.sent_at, x.phase, x.is_promotion, d.sent_count, s.share, s.day_offset,
           d.sent_count * (0.62 - 0.22 * x.phase - case when x.is_promotion then 0.05 else 0 end
                           + 0.04 * (u(x.didx, 51) - 0.5)) * s.share as uniq_imp,
           d.sent_count * (0.045 - 0.025 * x.phase) * s.share as uniq_clk
    from deliveries d
    join demo_deliveries x using (delivery_id)
    cross join (values (0, 0.75), (1, 0.93), (2, 1.0)) s(day_offset, share)
)
select delivery_id, (sent_at + to_days(day_offset))::date,
       case when uniq_imp >= 20 then round(uniq_imp * 1.3) end,
       case when uniq_imp >= 20 then round(uniq_imp) end,
       case when uniq_clk >= 20 then round(uniq_clk * 1.4) end,
       case when uniq_clk >= 20 then round(uniq_clk) end
from base
where sent_at + to_days(day_offset) < (select end_ts from demo_p);

insert into friends (user_key, user_id, display_name, followed_at, last_followed_at, blocked_at,
                     is_following, inflow_route, customer_id)
select f.user_key, f.user_id, f.display_name, f.followed_at, f.followed_at, f.blocked_at,
       f.blocked_at is null, f.route,
       case when (f.route = 'thanks_page' and u(f.user_key, 61) < 0.85)
              or (f.user_key in (select user_key from demo_purchases) and u(f.user_key, 62) < 0.7)
              or u(f.user_key, 63) < 0.03
            then 'C' || lpad(f.user_key::varchar, 8, '0') end
from demo_friends f
order by f.user_key;

insert into events (event_id, user_key, user_id, type, occurred_at, received_at, delivery_id,
                    detail, amount, payload)
with all_events as (
    select 'demo-f' || user_key::varchar as event_id, user_key, user_id, 'follow' as type,
           followed_at as occurred_at, null::varchar as delivery_id, route as detail,
           null::decimal(12, 2) as amount
    from demo_friends
    union all
    select 'demo-u' || user_key::varchar, user_key, user_id, 'unfollow', blocked_at, null, null, null
    from demo_friends where blocked_at is not null
    union all
    select 'demo-a' || akey::varchar, user_key, user_id, type, occurred_at, delivery_id, detail, null
    from demo_actions where not ignored and occurred_at < window_end
    union all
    select 'demo-s' || user_key::varchar, user_key, user_id, 'survey_answer', occurred_at, null, answer, null
    from demo_survey where occurred_at < window_end
    union all
    select 'demo-p' || user_key::varchar || '-' || i::varchar, user_key, user_id, 'purchase',
           occurred_at, null, category, amount
    from demo_purchases where occurred_at < (select end_ts from demo_p)
)
select event_id, user_key, user_id, type, occurred_at,
       occurred_at + to_milliseconds((200 + hash(user_key, occurred_at) % 1500)::integer),
       delivery_id, detail, amount, null
from all_events
order by occurred_at;

-- CRM: every linked friend is a customer; thanks-page customers bought before they added the
-- account. Plus customers who never added it (the CRM-only part of seed 004).
insert into customers (customer_id, email_hash, line_user_id, first_purchase_at, orders, revenue)
with linked as (
    select f.customer_id, f.user_id, f.user_key, f.inflow_route, f.followed_at,
           count(p.user_key) as line_orders, coalesce(sum(p.amount), 0) as line_revenue,
           min(p.occurred_at) as first_line_purchase
    from friends f
    left join (select * from demo_purchases where occurred_at < (select end_ts from demo_p)) p
           on p.user_key = f.user_key
    where f.customer_id is not null
    group by all
)
select customer_id, sha256('demo-' || customer_id || '@example.jp'), user_id,
       case when inflow_route = 'thanks_page' then followed_at - to_days((1 + u(user_key, 64) * 300)::integer)
            else first_line_purchase end,
       line_orders + case when inflow_route = 'thanks_page' then 1 + (u(user_key, 65) * 3)::integer else 0 end,
       line_revenue + case when inflow_route = 'thanks_page' then 4980 * (1 + (u(user_key, 65) * 3)::integer) else 0 end
from linked
union all
select 'X' || lpad(k::varchar, 8, '0'), sha256('demo-X' || k::varchar || '@example.jp'), null,
       (select start_ts from demo_p) - to_days((u(k, 66) * 700)::integer),
       1 + (u(k, 67) * 5)::integer, 3980 * (1 + (u(k, 67) * 5)::integer)
from range(((select n from demo_p) * 0.4)::bigint) t(k);

insert into friend_attributes (user_key, user_id, key, value, updated_at)
select user_key, user_id, 'survey_concern', answer, occurred_at
from demo_survey where occurred_at < window_end
union all
select f.user_key, f.user_id, 'crm_rank',
       case when c.revenue >= 30000 then 'gold' when c.revenue >= 10000 then 'silver' else 'bronze' end,
       f.followed_at
from friends f join customers c on c.line_user_id = f.user_id;

insert into friend_tags (user_key, user_id, tag, tagged_at, origin)
select user_key, user_id,
       'interest:' || case answer when '最近疲れやすい' then 'supplement' when '肌荒れが気になる' then 'skincare'
                                  when '睡眠の質を上げたい' then 'sleep' when '体型が気になる' then 'diet' end,
       occurred_at, 'survey'
from demo_survey where occurred_at < window_end and answer <> '特になし'
union all
select user_key, any_value(user_id), 'menu:' || detail, min(occurred_at), 'rich_menu'
from events where type = 'richmenu_tap'
group by user_key, detail;

-- The top of the funnel: route-link and landing-page visits per day, from which adds_per_visit of
-- visitors add the account (about 1% for the site banner and search: seed 003).
insert into site_visits (day, inflow_route, visits, source)
select f.followed_at::date as day, f.route,
       greatest(1, round(count(*) / any_value(r.adds_per_visit)
                         * (0.85 + 0.3 * u(hash(f.followed_at::date, f.route), 71))))::bigint,
       'analytics'
from demo_friends f join demo_routes r using (route)
group by 1, 2;
