-- Overlap of up to three audiences: members per region of the Venn diagram.
-- Grain: one row per combination of membership (in_a, in_b, in_c) with at least one friend.
-- Parameters: none; reads the temp tables segment_a, segment_b, segment_c (user_key; c may be empty).
with everyone as (
    select user_key from segment_a
    union select user_key from segment_b
    union select user_key from segment_c
),
final as (
    select e.user_key in (select user_key from segment_a) as in_a,
           e.user_key in (select user_key from segment_b) as in_b,
           e.user_key in (select user_key from segment_c) as in_c,
           count(*) as friends
    from everyone e
    group by all
)
select * from final order by friends desc
