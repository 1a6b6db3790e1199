-- Demo account, step 4b: two step scenarios with their history, so that ステップ配信 shows a real
-- funnel per step (issue 14, point 10):
--   ようこそ（オンボーディング）: on follow, a welcome and three onboarding steps (day 1 at 12:00, day 3 at
--     19:00 only for friends who reacted in the week before — others skip it —, day 7 at 19:00), window
--     09:00-21:00, active for the last 60 days (or half the demo's days) of the demo;
--   休眠フォロー（再エンゲージメント）: friends without a reaction for 30 days, enrolled by hand 30 days before the end,
--     a message at 19:00 that day and another a week later.
-- A friend leaves a run at a block or a purchase before the step. Every step sent is a delivery of kind
-- step (one per scenario, step and day) with its ledger, exactly as the runner writes them; the
-- welcome answered the follow's reply token when the follow came inside the window (reply, free).
-- Everything is derived from the friends and events already built: deterministic for a seed.

create or replace temp table demo_scn_p as
select end_ts, end_ts - to_days(least(60, days // 2)::integer) as welcome_from,
       date_trunc('day', (end_ts - to_days(30))::timestamp) + interval 18 hour as dormant_at_local
from demo_p;

insert into scenarios (scenario_id, name, "trigger", status, settings, created_by, created_at, updated_by, updated_at,
                       activated_at, scanned_until)
select 'scn_demo_welcome', 'ようこそ（オンボーディング）', '{"type": "follow", "unblocks": false, "routes": []}', 'active',
       '{"window": "09:00-21:00", "overdue": {"grace_minutes": 60, "policy": "skip"}, "refollow": "continue",
         "exit": {"purchase": true, "conversion": true, "tags": [], "left_segment": null}, "frequency_cap": true}',
       'demo', welcome_from, 'demo', welcome_from, welcome_from, end_ts
from demo_scn_p
union all
select 'scn_demo_dormant', '休眠フォロー（再エンゲージメント）', '{"type": "manual"}', 'active',
       '{"window": "10:00-21:00", "overdue": {"grace_minutes": 60, "policy": "skip"}, "refollow": "nothing",
         "exit": {"purchase": true, "conversion": true, "tags": [], "left_segment": null}, "frequency_cap": true}',
       'demo', dormant_at_local::timestamptz - to_days(1), 'demo', dormant_at_local::timestamptz - to_days(1),
       dormant_at_local::timestamptz - to_days(1), end_ts
from demo_scn_p;

create or replace temp table demo_scn_steps as
select * from (values
    ('scn_demo_welcome', 0, 'welcome', '{"after": {"minutes": 0}}', '友だち追加ありがとうございます！まずはプロフィールをご覧ください。', null),
    ('scn_demo_welcome', 1, '使い方', '{"day": 1, "at": "12:00"}', 'リッチメニューから料金・口コミ・クーポンがいつでも見られます。', null),
    ('scn_demo_welcome', 2, 'クーポン', '{"day": 3, "at": "19:00"}', '初回限定10%OFFクーポンをお届けします。',
     '{"rule": {"version": 1, "rule": {"field": "reactions", "type": "any", "min": 1, "within_days": 7}}, "met": "send", "otherwise": "skip"}'),
    ('scn_demo_welcome', 3, '口コミ', '{"day": 7, "at": "19:00"}', 'お客様の声をまとめました。', null),
    ('scn_demo_dormant', 0, 'お久しぶりです', '{"day": 0, "at": "19:00"}', 'お久しぶりです。新商品のご案内です。', null),
    ('scn_demo_dormant', 1, '最後のご案内', '{"day": 7, "at": "19:00"}', '今週末までの特典をご用意しました。', null)
) t(scenario_id, step_no, name, timing, text, "condition");

insert into scenario_steps (scenario_id, step_no, name, timing, messages, "condition")
select scenario_id, step_no, name, timing::json, json_array(json_object('type', 'text', 'text', text)), "condition"::json
from demo_scn_steps order by scenario_id, step_no;

-- who was enrolled when, and the moments each step was due (account time zone = the session's)
create or replace temp table demo_scn_runs as
with welcome as (
    select 'scn_demo_welcome' as scenario_id, f.user_id, f.user_key, f.followed_at as enrolled_at,
           f.followed_at::timestamp as local_at
    from friends f, demo_scn_p p
    where f.followed_at >= p.welcome_from and f.followed_at < p.end_ts
), dormant as (
    select 'scn_demo_dormant' as scenario_id, f.user_id, f.user_key, p.dormant_at_local::timestamptz as enrolled_at,
           p.dormant_at_local as local_at
    from friends f, demo_scn_p p
    where f.followed_at < p.dormant_at_local::timestamptz - to_days(30)
      and (f.blocked_at is null or f.blocked_at > p.dormant_at_local::timestamptz)
      and not exists (select 1 from events e where e.user_key = f.user_key
                      and e.type in ('message', 'postback', 'richmenu_tap', 'survey_answer', 'link_click')
                      and e.occurred_at >= p.dormant_at_local::timestamptz - to_days(30)
                      and e.occurred_at < p.dormant_at_local::timestamptz)
), runs as (
    select * from welcome union all select * from dormant
), exits as (
    select r.*,
           (select min(e.occurred_at) from events e where e.user_key = r.user_key and e.type = 'unfollow'
              and e.occurred_at >= r.enrolled_at) as blocked_at,
           (select min(e.occurred_at) from events e where e.user_key = r.user_key
              and e.type in ('purchase', 'conversion') and e.occurred_at >= r.enrolled_at) as bought_at
    from runs r
)
select x.*, s.step_no, s.condition is not null as conditional,
       case
           when s.scenario_id = 'scn_demo_welcome' and s.step_no = 0 then
               case when hour(x.local_at) < 9 then date_trunc('day', x.local_at) + interval 9 hour
                    when hour(x.local_at) >= 21 then date_trunc('day', x.local_at) + interval 33 hour
                    else x.local_at end
           when s.scenario_id = 'scn_demo_welcome' and s.step_no = 1 then date_trunc('day', x.local_at) + interval 36 hour
           when s.scenario_id = 'scn_demo_welcome' and s.step_no = 2 then date_trunc('day', x.local_at) + interval 91 hour
           when s.scenario_id = 'scn_demo_welcome' then date_trunc('day', x.local_at) + interval 187 hour
           when s.step_no = 0 then date_trunc('day', x.local_at) + interval 19 hour
           else date_trunc('day', x.local_at) + interval 187 hour
       end::timestamptz as due_at,
       hour(x.local_at) >= 9 and hour(x.local_at) < 21 and s.step_no = 0 and s.scenario_id = 'scn_demo_welcome' as by_reply
from exits x join demo_scn_steps s using (scenario_id);

-- a step is done when it fell due before the end and before any exit; the conditional one is sent
-- only to friends who reacted in the 7 days before it (the others skip it)
create or replace temp table demo_scn_done as
select r.*,
       r.due_at <= (select end_ts from demo_scn_p) and least(coalesce(r.blocked_at, 'infinity'::timestamptz),
           coalesce(r.bought_at, 'infinity'::timestamptz)) > r.due_at as done,
       not r.conditional or exists (select 1 from events e where e.user_key = r.user_key
           and e.type in ('message', 'postback', 'richmenu_tap', 'survey_answer', 'link_click')
           and e.occurred_at >= r.due_at - to_days(7) and e.occurred_at < r.due_at) as met
from demo_scn_runs r;

create or replace temp table demo_scn_sent as
select d.*, 'stp_demo_' || substr(d.scenario_id, 10) || '_' || d.step_no || '_' || strftime(d.due_at::timestamp, '%Y%m%d')
           as delivery_id
from demo_scn_done d where d.done and d.met;

insert into deliveries (delivery_id, kind, title, status, planned_count, sent_count, failed_count, aggregation_unit,
                        created_by, created_at, sent_at, messages)
select s.delivery_id, 'step', sc.name || ' #' || s.step_no || ' ' || st.name, 'sent', count(*), count(*), 0,
       substr('d_' || replace(s.delivery_id, '_', ''), 1, 30), 'scenario:' || sc.name, min(s.due_at), min(s.due_at),
       any_value(json_array(json_object('type', 'text', 'text', st.text)))
from demo_scn_sent s join scenarios sc using (scenario_id) join demo_scn_steps st using (scenario_id, step_no)
group by s.delivery_id, sc.name, s.step_no, st.name
order by min(s.due_at);

insert into delivery_recipients (delivery_id, user_id, user_key, batch_no, retry_key, status, sent_at, attempted_at, via)
with numbered as (
    select s.*, case when s.by_reply then row_number() over (partition by s.delivery_id, s.by_reply order by s.user_id) - 1
                     else (row_number() over (partition by s.delivery_id, s.by_reply order by s.user_id) - 1) // 500
                          + 1000000 end as batch_no
    from demo_scn_sent s
), keyed as (
    select n.*, md5(n.delivery_id || ':' || n.batch_no) as h from numbered n
)
select delivery_id, user_id, user_key, batch_no,
       substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-4' || substr(h, 14, 3) || '-a' || substr(h, 18, 3) || '-' || substr(h, 21, 12),
       'sent', due_at, due_at, case when by_reply then 'reply' end
from keyed order by delivery_id, batch_no;

insert into scenario_deliveries (delivery_id, scenario_id, step_no, planned_at)
select distinct delivery_id, scenario_id, step_no, min(due_at) over (partition by delivery_id) from demo_scn_sent;

-- each run's state at the end: completed, exited (why, when), or waiting for its next step
insert into scenario_enrolments (scenario_id, user_id, user_key, step_no, status, next_due_at, enrolled_at, entered_at,
                                 exited_at, exit_reason, enrolled_by, last_sent_at)
with per_run as (
    select scenario_id, user_id, any_value(user_key) as user_key, any_value(enrolled_at) as enrolled_at,
           any_value(blocked_at) as blocked_at, any_value(bought_at) as bought_at,
           min(step_no) filter (where not done) as next_step, max(step_no) as last_step,
           min(due_at) filter (where not done) as next_due, max(due_at) filter (where done and met) as last_sent
    from demo_scn_done group by scenario_id, user_id
), final as (
    select r.*, least(coalesce(r.blocked_at, 'infinity'::timestamptz), coalesce(r.bought_at, 'infinity'::timestamptz))
               as exit_at
    from per_run r
)
select scenario_id, user_id, user_key, coalesce(next_step, last_step),
       case when next_step is null then 'completed'
            when exit_at <= (select end_ts from demo_scn_p) then 'exited' else 'active' end,
       case when next_step is not null and not exit_at <= (select end_ts from demo_scn_p) then next_due end,
       enrolled_at, enrolled_at,
       case when next_step is not null and exit_at <= (select end_ts from demo_scn_p) then exit_at end,
       case when next_step is null or not exit_at <= (select end_ts from demo_scn_p) then null
            when blocked_at is not null and blocked_at = exit_at then 'blocked' else 'converted' end,
       case when scenario_id = 'scn_demo_dormant' then 'manual:demo' else 'trigger' end, last_sent
from final order by scenario_id, user_id;
