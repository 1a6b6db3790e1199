-- Demo account, step 1: parameters, the deterministic random macro and the account's shape.
-- Variables set (bound) by dashboard/analytics/demo.py: demo_seed, demo_friends, demo_days, demo_end
-- (timestamptz, midnight in the account's time zone, exclusive end of the generated period).
--
-- u(k, salt): a uniform number in [0, 1) from a hash of (key, salt, seed). Unlike random(), it is
-- the same on every run and on any number of threads, so a seed always builds the same account.

create or replace temp macro u(k, salt) as
    ((hash(k, salt, getvariable('demo_seed')) % 1000003)::double / 1000003);

create or replace temp table demo_p as
select
    getvariable('demo_friends')::bigint                                  as n,
    getvariable('demo_days')::integer                                    as days,
    getvariable('demo_end')::timestamptz                                 as end_ts,
    getvariable('demo_end')::timestamptz
        - to_days(getvariable('demo_days')::integer)                     as start_ts;

-- Routes and their quality (seeds 002, 003): share of adds, chance to block, share of blockers who
-- block within 3 days of adding (took the coupon and left), conversion chance, adds per route-link
-- visit, and the mix of activity levels.
create or replace temp table demo_routes as
select * from (values
    (0, 'coupon_ad',   'クーポン広告',        'Coupon ad',          0.30, 0.40, 0.65, 0.004, 0.040, 0.02, 0.08, 0.35, 0.55),
    (1, 'thanks_page', 'サンクスページ',      'Thanks page',        0.12, 0.05, 0.10, 0.050, 0.080, 0.12, 0.28, 0.40, 0.20),
    (2, 'parcel_qr',   '同梱チラシQR',        'Parcel flyer QR',    0.15, 0.09, 0.15, 0.020, 0.350, 0.07, 0.20, 0.43, 0.30),
    (3, 'store_pop',   '店頭POP',             'Store POP',          0.13, 0.12, 0.20, 0.012, 0.300, 0.05, 0.16, 0.44, 0.35),
    (4, 'site_banner', 'サイトバナー',        'Site banner',        0.18, 0.13, 0.20, 0.008, 0.010, 0.04, 0.15, 0.43, 0.38),
    (5, 'organic',     'オーガニック検索',    'Organic search',     0.12, 0.10, 0.15, 0.010, 0.012, 0.05, 0.16, 0.43, 0.36)
) t(route_idx, route, name_ja, name_en, share, block_p, early_block_share, convert_p,
    adds_per_visit, p_hot, p_warm, p_cold, p_dormant);

create or replace temp table demo_route_cum as
select *, sum(share) over (order by route_idx) - share as cum_lo,
          sum(share) over (order by route_idx)          as cum_hi
from demo_routes;

-- Days of the period with the weekday in the account's time zone.
create or replace temp table demo_days as
select d as day_idx,
       (select start_ts from demo_p) + to_days(d::integer)     as day_start,
       isodow((select start_ts from demo_p) + to_days(d::integer)) as dow   -- 1 = Monday
from range((select days from demo_p)) t(d);

-- Broadcast schedule: weekly at first, twice a week from the middle, four times a week in the last
-- quarter with more promotions: the too-frequent sending that seeds 000 and 002 warn about.
create or replace temp table demo_deliveries as
with picked as (
    select d.day_idx, d.day_start, d.dow,
           d.day_idx::double / (select days from demo_p) as phase
    from demo_days d
    where (d.day_idx::double / (select days from demo_p) < 0.5 and d.dow = 2)
       or (d.day_idx::double / (select days from demo_p) >= 0.5
           and d.day_idx::double / (select days from demo_p) < 0.75 and d.dow in (2, 5))
       or (d.day_idx::double / (select days from demo_p) >= 0.75 and d.dow in (1, 3, 5, 6))
), numbered as (
    select row_number() over (order by day_idx) - 1 as didx, *,
           -- promotions: every other one at first, three of four at the end
           case when phase >= 0.75 then u(day_idx, 901) < 0.75 else u(day_idx, 901) < 0.45 end
               as is_promotion
    from picked
)
select didx, day_idx, phase, is_promotion,
       day_start + to_hours(case when dow in (6, 7) then 11 else 20 end) as sent_at,
       'demo-d' || lpad(didx::varchar, 4, '0') as delivery_id,
       case when is_promotion
            then ['期間限定セール', 'クーポン配布', 'まとめ買い割引', '新商品先行予約'][1 + (didx % 4)::integer]
            else ['季節のコラム', 'お客様の声', '使い方ガイド', 'スタッフのおすすめ'][1 + (didx % 4)::integer]
       end || ' #' || (didx + 1)::varchar as title
from numbered;

-- For a moment in day d: the first delivery on or after day d (to find deliveries in a window).
create or replace temp table demo_first_delivery_from_day as
select d.day_idx,
       coalesce((select min(didx) from demo_deliveries x where x.day_idx >= d.day_idx),
                (select count(*) from demo_deliveries)) as first_didx
from demo_days d;

-- Inverse distribution of add days per route, in 4,096 buckets: adds grow over the period, peak on
-- weekends (and Friday), and the coupon route comes in ad-campaign bursts.
create or replace temp table demo_route_day_bucket as
with w as (
    select r.route_idx, d.day_idx,
           (1 + 1.2 * d.day_idx::double / (select days from demo_p))
           * case d.dow when 6 then 1.6 when 7 then 1.5 when 5 then 1.2 else 1.0 end
           * case when r.route = 'coupon_ad'
                  then case when (d.day_idx // 14) % 3 = 0 then 3.0 else 0.35 end
                  else 1.0 end as weight
    from demo_routes r cross join demo_days d
), cum as (
    select route_idx, day_idx,
           (sum(weight) over (partition by route_idx order by day_idx) - weight)
               / sum(weight) over (partition by route_idx) as lo,
           sum(weight) over (partition by route_idx order by day_idx)
               / sum(weight) over (partition by route_idx) as hi
    from w
)
select c.route_idx, b.b, c.day_idx
from cum c join range(4096) b(b)
  on (b.b + 0.5) / 4096 >= c.lo and (b.b + 0.5) / 4096 < c.hi;

-- Hour of day of adds and of spontaneous taps: a lunch bump and an evening peak (seed 003).
create or replace temp table demo_hour_bucket as
with w as (
    select h, [0.6,0.3,0.2,0.1,0.1,0.2,0.6,1.2,1.6,1.4,1.3,1.5,2.6,2.2,1.4,1.3,1.4,1.8,2.6,3.4,4.2,4.6,3.8,1.8][h + 1] as weight
    from range(24) t(h)
), cum as (
    select h, (sum(weight) over (order by h) - weight) / sum(weight) over () as lo,
              sum(weight) over (order by h) / sum(weight) over () as hi
    from w
)
select b.b, c.h from cum c join range(1024) b(b)
  on (b.b + 0.5) / 1024 >= c.lo and (b.b + 0.5) / 1024 < c.hi;
