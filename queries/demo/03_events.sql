-- Demo account, step 3: what friends do.
-- Each friend does a number of things proportional to their activity level and to how long they
-- follow. About half are reactions to a delivery they received (tracked-link click, postback,
-- message), spread uniformly over the deliveries in their window: a friend's attention is finite, so
-- when deliveries get more frequent each one gets fewer reactions (seed 002's warning sign), and
-- promotions get fewer still. The rest are rich-menu taps and free messages. Plus one follow per
-- friend, one unfollow per blocker, a survey answer soon after the add, and purchases.

create or replace temp table demo_window as
select f.*,
       coalesce(f.blocked_at, p.end_ts) as window_end,
       epoch(coalesce(f.blocked_at, p.end_ts)) - epoch(f.followed_at) as window_s,
       fd.first_didx + 1 as lo,
       coalesce(fe.first_didx, (select count(*) from demo_deliveries)) as hi
from demo_friends f
cross join demo_p p
join demo_first_delivery_from_day fd on fd.day_idx = f.follow_day
left join demo_first_delivery_from_day fe
  on fe.day_idx = ((epoch(coalesce(f.blocked_at, p.end_ts)) - epoch(p.start_ts)) // 86400)::bigint;

create or replace temp table demo_actions as
with counts as (
    select *, (case activity when 'hot' then 170 when 'warm' then 40 when 'cold' then 0.8 else 0.1 end
               * window_s / (30 * 86400) * (0.5 + u(user_key, 20)))::bigint as n_actions
    from demo_window
), actions as (
    select c.*, i, c.user_key::bigint * 100000 + i as akey
    from counts c, range(c.n_actions) t(i)
), typed as (
    select a.*,
           u(akey, 21) < 0.3 and hi > lo as to_delivery,
           lo + ((hi - lo) * u(akey, 22))::bigint % greatest(hi - lo, 1) as didx_pick
    from actions a
)
select t.akey, t.user_key, t.user_id, t.route,
       case when not t.to_delivery then (case when u(akey, 26) < 0.82 then 'richmenu_tap' else 'message' end)
            when u(akey, 25) < 0.45 then 'link_click'
            when u(akey, 25) < 0.80 then 'postback'
            else 'message' end as type,
       case when t.to_delivery then
                d.sent_at + to_seconds((case when u(akey, 24) < 0.6 then u(akey, 27) * 3600
                                             when u(akey, 24) < 0.9 then 3600 + u(akey, 27) * 82800
                                             else 86400 + u(akey, 27) * 172800 end)::integer)
            else t.followed_at + to_seconds((u(akey, 28) * u(akey, 28) * t.window_s)::bigint) end as occurred_at,
       case when t.to_delivery then d.delivery_id end as delivery_id,
       case when t.to_delivery then null
            when u(akey, 26) >= 0.82 then null
            when t.route = 'coupon_ad' then
                 ['クーポン','クーポン','クーポン','クーポン','料金','料金','解約方法','解約方法','解約方法','口コミ','新商品','お問い合わせ'][1 + (hash(akey, 29) % 12)::integer]
            else ['料金','料金','料金','口コミ','口コミ','口コミ','新商品','新商品','クーポン','クーポン','解約方法','お問い合わせ'][1 + (hash(akey, 29) % 12)::integer]
       end as detail,
       t.to_delivery and u(akey, 23) > (1 - 0.7 * d.phase) * case when d.is_promotion then 0.65 else 1 end as ignored,
       t.window_end
from typed t
left join demo_deliveries d on d.didx = t.didx_pick and t.to_delivery;

create or replace temp table demo_survey as
select user_key, user_id,
       followed_at + to_seconds((60 + u(user_key, 42) * 36 * 3600)::integer) as occurred_at,
       ['最近疲れやすい','肌荒れが気になる','睡眠の質を上げたい','体型が気になる','特になし'][1 + (hash(user_key, 43) % 5)::integer] as answer,
       window_end
from demo_window
where u(user_key, 41) < case activity when 'hot' then 0.8 when 'warm' then 0.6 when 'cold' then 0.35 else 0.1 end;

create or replace temp table demo_purchases as
with buyers as (
    select w.*, s.answer
    from demo_window w left join demo_survey s using (user_key)
    where u(w.user_key, 31) < w.convert_p * case w.activity when 'hot' then 3.0 when 'warm' then 1.5
                                                            when 'cold' then 0.5 else 0.15 end
)
select b.user_key, b.user_id, n.i,
       b.followed_at + to_seconds(((0.5 + u(b.user_key, 34) * 20) * 86400 + n.i * u(b.user_key * 8 + n.i, 35) * 40 * 86400)::bigint) as occurred_at,
       (2980 + (u(b.user_key * 8 + n.i, 36) * 900)::integer * 10)::decimal(12, 2) as amount,
       case b.answer when '最近疲れやすい' then 'supplement' when '肌荒れが気になる' then 'skincare'
                     when '睡眠の質を上げたい' then 'sleep' when '体型が気になる' then 'diet'
                     else ['skincare','supplement','sleep','diet'][1 + (hash(b.user_key, 37) % 4)::integer] end as category
from buyers b, range(1 + (u(b.user_key, 32) < 0.4)::integer + (u(b.user_key, 33) < 0.15)::integer) n(i);
