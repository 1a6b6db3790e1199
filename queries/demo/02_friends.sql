-- Demo account, step 2: friends, with route, add time, activity level and block time.
-- Activity level decides how much a friend does (hot > warm > cold > dormant). Blockers either
-- leave within 3 days of adding (the coupon takers of seed 000) or right after a delivery, picked
-- uniformly among the deliveries they received, so that more deliveries mean more blocks.

create or replace temp table demo_friends as
with base as (
    select k, r.route_idx, r.route, r.block_p, r.early_block_share, r.convert_p,
           r.p_hot, r.p_warm, r.p_cold
    from range((select n from demo_p)) t(k)
    join demo_route_cum r on u(k, 1) >= r.cum_lo and u(k, 1) < r.cum_hi
), timed as (
    select b.*, db.day_idx as follow_day,
           (select start_ts from demo_p) + to_days(db.day_idx::integer) + to_hours(hb.h::integer)
               + to_seconds((u(k, 4) * 3600)::integer) as followed_at,
           case when u(k, 5) < p_hot then 'hot'
                when u(k, 5) < p_hot + p_warm then 'warm'
                when u(k, 5) < p_hot + p_warm + p_cold then 'cold'
                else 'dormant' end as activity
    from base b
    join demo_route_day_bucket db on db.route_idx = b.route_idx and db.b = (u(k, 2) * 4096)::bigint % 4096
    join demo_hour_bucket hb on hb.b = (u(k, 3) * 1024)::bigint % 1024
), blocking as (
    select t.*,
           fd.first_didx + 1 as first_didx,         -- deliveries after the add day's own
           (select count(*) from demo_deliveries) as n_deliveries,
           u(k, 6) < block_p * case activity when 'hot' then 0.4 when 'warm' then 0.7
                                             when 'cold' then 1.1 else 1.4 end as blocks,
           u(k, 7) < early_block_share as blocks_early
    from timed t join demo_first_delivery_from_day fd on fd.day_idx = t.follow_day
), picked as (
    select b.*,
           case when blocks and not blocks_early and first_didx < n_deliveries
                then first_didx + ((n_deliveries - first_didx) * u(k, 9))::bigint
                                  % greatest(n_deliveries - first_didx, 1) end as block_didx
    from blocking b
), blocked as (
    select p.*,
           case when not blocks then null
                when blocks_early then followed_at + to_seconds((600 + u(k, 8) * 3 * 86400)::integer)
                else x.sent_at + to_seconds((300 + u(k, 10) * 6 * 3600)::integer) end as raw_blocked_at
    from picked p left join demo_deliveries x on x.didx = p.block_didx
)
select k::integer + 1 as user_key,
       'U' || md5(getvariable('demo_seed')::varchar || '-' || k::varchar) as user_id,
       ['佐藤','鈴木','高橋','田中','伊藤','渡辺','山本','中村','小林','加藤','吉田','山田','佐々木','松本','井上','木村'][1 + (hash(k, 11) % 16)::integer]
       || ' ' || ['さくら','陽菜','結衣','美咲','葵','翔太','大輝','蓮','悠真','花子','由美','健','直子','愛','舞','拓也'][1 + (hash(k, 12) % 16)::integer]
           as display_name,
       route, route_idx, activity, follow_day, followed_at, convert_p,
       case when raw_blocked_at < (select end_ts from demo_p) then raw_blocked_at end as blocked_at
from blocked;
