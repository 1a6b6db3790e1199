-- Choices the rule builder offers: known tags, attribute keys, rich-menu areas, purchase
-- categories, genres and recent deliveries.
-- Grain: one row per (kind, value). Parameters: none.
with final as (
    select distinct 'tag' as kind, tag as value, null as label from friend_tags
    union all
    select distinct 'attribute_key', key, null from friend_attributes
    union all
    select distinct 'area', area, null from rollup_richmenu_daily where area is not null
    union all
    select distinct 'category', detail, null from events where type in ('purchase', 'conversion') and detail is not null
    union all
    select distinct 'genre', genre, null from rollup_friend_activity where genre is not null
    union all
    select * from (select 'delivery', delivery_id, title from deliveries
                   where sent_at is not null order by sent_at desc, delivery_id desc limit 200)  -- ties: by id, the same in every engine
)
select * from final order by kind, value
