-- One friend's card on the friend page: follow state, route, CRM link, interest level and genre.
-- Grain: one row (none when there is no such friend). Parameters: $user_key.
-- Interest level and genre are the activity rollup's, as of its last refresh. (Each table is read
-- by its own key as a constant filter, so that each is a look-up, not a join over every row.)
with me as (
    select * from friends where user_key = $user_key::integer
),
customer as (
    select * from customers where customer_id = (select customer_id from me)
),
activity as (
    select * from rollup_friend_activity where user_key = $user_key::integer
),
final as (
    select f.user_key, f.user_id, f.display_name, f.followed_at, f.last_followed_at, f.blocked_at,
           f.is_following, coalesce(f.inflow_route, 'unknown') as route, f.customer_id, f.added_by,
           c.orders, c.revenue, c.first_purchase_at, c.name as customer_name,
           a.interest_level, a.genre, a.reactions_30d, a.last_reaction_at, a.last_purchase_at
    from me f
    left join customer c on c.customer_id = f.customer_id
    left join activity a on a.user_key = f.user_key
)
select * from final
