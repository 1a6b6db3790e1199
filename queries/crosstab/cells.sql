-- Cross-tab (クロス分析): friends first added in the period (known add date; the route filter applies),
-- split by two dimensions, against one outcome.
-- Grain: one row per (row value, column value) with at least one friend: friends (the base of the
-- rate) and hits (friends with the outcome). A friend with several matching tags counts once in
-- each of their tag values; a friend without a value of a dimension is in the value null ("none").
-- Parameters: $rows, $cols (dimension codes: route, tag, attribute, add_month, interest, genre, crm),
-- $tag_prefix (tags starting with it; the value is the rest), $attr_key (attribute key), $outcome
-- (blocked_30d, reacted, purchased, following), $days (N of "purchased within N days of the add"),
-- $start, $end (the period, half-open), $routes (varchar[]; empty = all), $as_of (the data's end),
-- $reaction_types (varchar[]).
-- Definitions: blocked_30d = a block within 30 days of the first add, among friends added at least
-- 30 days before $as_of; purchased = a purchase or conversion within $days days of the add, among
-- friends added at least $days days before $as_of; reacted = a per-user reaction (message, postback,
-- rich-menu tap, survey answer, tracked-link click) in the period; following = following now.
-- Interest level and genre are the activity rollup's (as of its refresh).
with cohort as (
    select x.user_key, x.followed_at, x.inflow_route, x.first_blocked_at, x.first_purchase_at
    from rollup_friend_firsts x
    join friends f on f.user_key = x.user_key
    where x.followed_at >= $start and x.followed_at < $end
      and coalesce(f.added_by, '') <> 'sync'
      and (len($routes::varchar[]) = 0 or list_contains($routes::varchar[], coalesce(x.inflow_route, 'unknown')))
      and ($outcome <> 'blocked_30d' or x.followed_at <= $as_of - interval 30 day)
      and ($outcome <> 'purchased' or x.followed_at <= $as_of - to_days($days::integer))
),
reacted as (
    select distinct e.user_key
    from events e
    where $outcome = 'reacted' and e.occurred_at >= $start and e.occurred_at < $end
      and list_contains($reaction_types::varchar[], e.type)
      and e.user_key in (select user_key from cohort)
),
outcome as (
    select c.user_key,
           case $outcome
               when 'blocked_30d' then coalesce(c.first_blocked_at < c.followed_at + interval 30 day, false)
               when 'purchased' then coalesce(c.first_purchase_at < c.followed_at + to_days($days::integer), false)
               when 'reacted' then c.user_key in (select user_key from reacted)
               else f.is_following end as hit
    from cohort c
    join friends f on f.user_key = c.user_key
),
dims as (
    select user_key, 'route' as dim, coalesce(inflow_route, 'unknown') as value from cohort
    where 'route' in ($rows, $cols)
    union all
    select user_key, 'add_month', strftime(followed_at, '%Y-%m') from cohort
    where 'add_month' in ($rows, $cols)
    union all
    select c.user_key, 'interest', a.interest_level from cohort c
    left join rollup_friend_activity a on a.user_key = c.user_key
    where 'interest' in ($rows, $cols)
    union all
    select c.user_key, 'genre', a.genre from cohort c
    left join rollup_friend_activity a on a.user_key = c.user_key
    where 'genre' in ($rows, $cols)
    union all
    select c.user_key, 'crm',
           case when f.customer_id is null or cu.customer_id is null then 'none'
                when cu.orders <= 0 then '0' when cu.orders = 1 then '1'
                when cu.orders <= 4 then '2-4' else '5+' end
    from cohort c
    join friends f on f.user_key = c.user_key
    left join customers cu on cu.customer_id = f.customer_id
    where 'crm' in ($rows, $cols)
    union all
    select c.user_key, 'attribute', fa.value from cohort c
    left join friend_attributes fa on fa.user_key = c.user_key and fa.key = $attr_key
    where 'attribute' in ($rows, $cols)
    union all
    select c.user_key, 'tag', t.value from cohort c
    left join (select user_key, substr(tag, length($tag_prefix) + 1) as value from friend_tags
               where starts_with(tag, $tag_prefix)) t on t.user_key = c.user_key
    where 'tag' in ($rows, $cols)
),
final as (
    select r.value as row_value, k.value as col_value, count(distinct o.user_key) as friends,
           count(distinct o.user_key) filter (where o.hit) as hits
    from outcome o
    join dims r on r.user_key = o.user_key and r.dim = $rows
    join dims k on k.user_key = o.user_key and k.dim = $cols
    group by all
)
select * from final order by row_value nulls last, col_value nulls last
