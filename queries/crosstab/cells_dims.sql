-- Cross-tab in one statement, when at least one axis is a dimension with one value per friend
-- (route, add_month, interest, genre, crm: columns of rollup_friend_dims, the CRM band through
-- customers) and the other is one too or a keyed one (tag, attribute, scenario: joined once).
-- Grain: one row per (row value, column value) with at least one friend: friends (the base of the
-- rate) and hits (friends with the outcome); a friend with several tag values counts in each.
-- Parameters: $rows, $cols (the two dimensions, checked against crosstab.DIMENSIONS), $keyed ('',
-- or the one of them that is tag, attribute or scenario), $outcome (blocked_30d, reacted,
-- purchased, following), $days, $start, $end (the period, half-open), $routes (varchar[]; empty =
-- all), $as_of (the data's end), $tag_prefix, $attr_key, $scenario (scenario_id).
-- Definitions: the same as crosstab/cohort.sql (who counts, each outcome) and crosstab/values_*.sql
-- (each dimension's value; null = the friend has none): friends first added in the period, not
-- known only from LINE's follower list; blocked_30d = a block within 30 days (30 × 24 hours) of
-- the first add, among friends added at least 30 days before $as_of; purchased = a purchase or
-- conversion within $days days of the add, among friends added at least $days days before
-- $as_of; reacted = the first per-user reaction at or after the add before the period's end;
-- following = following now. Interest level and genre are the activity rollup's, as of its
-- refresh; the CRM band is none (not linked), 0, 1, 2-4 or 5+ orders.
-- (Every `case $x` picks one column by a bound value: DuckDB folds it to that column before it
-- runs, and a keyed or CRM source that is not asked for is empty, so the statement reads only
-- what the two axes need.)
with cohort as (
    select d.user_key, d.route, d.follow_day, d.interest_level, d.genre, d.customer_id,
           case $outcome
               when 'blocked_30d' then coalesce(epoch_us(d.first_blocked_at) - epoch_us(d.followed_at)
                                                < 30 * 86400000000, false)
               when 'purchased' then coalesce(epoch_us(d.first_purchase_at) - epoch_us(d.followed_at)
                                              < $days::bigint * 86400000000, false)
               when 'reacted' then coalesce(d.first_reaction_at < $end, false)
               else coalesce(d.is_following, true) end as hit
    from rollup_friend_dims d
    where d.followed_at >= $start and d.followed_at < $end
      and not d.from_sync
      and (len($routes::varchar[]) = 0 or list_contains($routes::varchar[], d.route))
      and ($outcome <> 'blocked_30d' or d.followed_at <= $as_of - interval 30 day)
      and ($outcome <> 'purchased' or d.followed_at <= $as_of - to_days($days::integer))
),
orders as (
    select customer_id, orders from customers where $rows = 'crm' or $cols = 'crm'
),
keyed as (
    select user_key, substr(tag, length($tag_prefix) + 1) as value
    from friend_tags
    where $keyed = 'tag' and starts_with(tag, $tag_prefix)
    union all
    select user_key, value from friend_attributes where $keyed = 'attribute' and key = $attr_key
    union all
    select user_key,
           case when status = 'completed' then step_no::varchar
                when step_no <= 0 then 'enrolled'
                else (step_no - 1)::varchar end
    from scenario_enrolments
    where $keyed = 'scenario' and scenario_id = $scenario and user_key is not null
),
valued as (
    select c.hit,
           case $rows when 'route' then c.route
                      when 'add_month' then strftime(c.follow_day, '%Y-%m')
                      when 'interest' then c.interest_level
                      when 'genre' then c.genre
                      when 'crm' then case when o.customer_id is null then 'none'
                                           when o.orders is null or o.orders <= 0 then '0'
                                           when o.orders = 1 then '1' when o.orders <= 4 then '2-4' else '5+' end
                      else k.value end as row_value,
           case $cols when 'route' then c.route
                      when 'add_month' then strftime(c.follow_day, '%Y-%m')
                      when 'interest' then c.interest_level
                      when 'genre' then c.genre
                      when 'crm' then case when o.customer_id is null then 'none'
                                           when o.orders is null or o.orders <= 0 then '0'
                                           when o.orders = 1 then '1' when o.orders <= 4 then '2-4' else '5+' end
                      else k.value end as col_value
    from cohort c
    left join orders o on o.customer_id = c.customer_id
    left join keyed k on k.user_key = c.user_key
),
final as (
    select row_value, col_value, count(*) as friends, count(*) filter (where hit) as hits
    from valued
    group by all
)
select * from final order by row_value nulls last, col_value nulls last
