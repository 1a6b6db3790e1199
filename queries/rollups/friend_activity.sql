-- Rollup: per friend, reaction counts and recency as of $as_of, the interest level, and the genre.
-- Grain: one row per friend.
-- Parameters: $as_of (timestamptz), $reaction_types (varchar[]), $hot_min, $warm_min,
--   $dormant_days (integers, settings DASHBOARD_INTEREST_*), $genre_areas (map area -> genre,
--   setting DASHBOARD_GENRE_AREAS).
-- Definitions:
--   interest_level  hot: >= $hot_min reactions in the 30 days before $as_of; warm: >= $warm_min;
--                   dormant: no reaction in the $dormant_days before $as_of; cold: the rest.
--   genre           the genre with the highest score: 3 per purchase in that category, 2 for a tag
--                   interest:<genre>, 1 per tap on a rich-menu area mapped to it; ties go to the
--                   alphabetically first genre; null when nothing scores.
with reactions as (
    select user_key,
           count(*) filter (where occurred_at >= $as_of - interval 7 day) as r7,
           count(*) filter (where occurred_at >= $as_of - interval 30 day) as r30,
           count(*) filter (where occurred_at >= $as_of - interval 90 day) as r90
    from events
    where occurred_at >= $as_of - interval 90 day and occurred_at < $as_of
      and list_contains($reaction_types::varchar[], type)
    group by user_key
),
lasts as (
    select user_key,
           max(occurred_at) filter (where list_contains($reaction_types::varchar[], type)) as last_reaction_at,
           max(occurred_at) filter (where type in ('purchase', 'conversion')) as last_purchase_at
    from events
    where occurred_at < $as_of
      and (type in ('purchase', 'conversion') or list_contains($reaction_types::varchar[], type))
    group by user_key
),
signals as (
    select user_key, detail as genre, 3 as score
    from events
    where type in ('purchase', 'conversion') and detail is not null and occurred_at < $as_of
    union all
    select f.user_key, substr(t.tag, 10), 2
    from friend_tags t join friends f on f.user_id = t.user_id
    where starts_with(t.tag, 'interest:') and length(t.tag) > 9
    union all
    select user_key, element_at($genre_areas::map(varchar, varchar), detail)[1], 1
    from events
    where type = 'richmenu_tap' and occurred_at < $as_of
      and element_at($genre_areas::map(varchar, varchar), detail)[1] is not null
),
scores as (
    select user_key, genre, sum(score) as score from signals group by all
),
genres as (
    select user_key, genre
    from (select user_key, genre,
                 row_number() over (partition by user_key order by score desc, genre) as rank
          from scores)
    where rank = 1
)
select f.user_key,
       coalesce(r.r7, 0) as reactions_7d, coalesce(r.r30, 0) as reactions_30d,
       coalesce(r.r90, 0) as reactions_90d,
       l.last_reaction_at, l.last_purchase_at,
       case when coalesce(r.r30, 0) >= $hot_min::integer then 'hot'
            when coalesce(r.r30, 0) >= $warm_min::integer then 'warm'
            when l.last_reaction_at is null
                 or l.last_reaction_at < $as_of - to_days($dormant_days::integer) then 'dormant'
            else 'cold' end as interest_level,
       g.genre
from friends f
left join reactions r using (user_key)
left join lasts l using (user_key)
left join genres g using (user_key)
