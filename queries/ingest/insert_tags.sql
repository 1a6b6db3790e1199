-- Loader step 6b: tags from postbacks — <question>:<answer> for a survey answer, menu:<area> for a
-- rich-menu tap, and any tag=<tag> in the data; a tag a friend already has keeps its first date.
-- Grain: one row per friend and tag. Parameters: none.
insert into friend_tags (user_key, user_id, tag, tagged_at, origin)
with tags as (
    select user_id, survey || ':' || answer as tag, occurred_at, 'survey' as origin
    from _ingest_new where type = 'survey_answer'
    union all
    select user_id, 'menu:' || detail, occurred_at, 'rich_menu' from _ingest_new where type = 'richmenu_tap'
    union all
    select user_id, tag, occurred_at, case when type = 'richmenu_tap' then 'rich_menu' else 'survey' end
    from _ingest_new where tag is not null and type in ('survey_answer', 'richmenu_tap', 'postback')
)
select f.user_key, t.user_id, t.tag, min(t.occurred_at), arg_min(t.origin, t.occurred_at)
from tags t join friends f using (user_id)
where length(t.tag) <= 200
  -- a tag the friend already has is skipped here (an anti-join is far cheaper than conflicts on the
  -- key index). If another transaction adds the same tag meanwhile, DuckDB's key check at commit
  -- fails whichever commits second, whole: a loader round is then read again by the next one.
  and not exists (select 1 from friend_tags x where x.user_id = t.user_id and x.tag = t.tag)
group by all
