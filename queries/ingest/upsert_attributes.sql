-- Loader step 6a: survey answers become attributes survey_<question> = answer; the newest answer
-- wins, also when an older one arrives later.
-- Grain: one row per friend and question. Parameters: none.
insert into friend_attributes (user_key, user_id, key, value, updated_at)
select f.user_key, n.user_id, 'survey_' || n.survey, arg_max(n.answer, n.occurred_at), max(n.occurred_at)
from _ingest_new n join friends f using (user_id)
where n.type = 'survey_answer'
group by all
on conflict (user_id, key) do update
    set value = excluded.value, updated_at = excluded.updated_at, user_key = excluded.user_key
    where excluded.updated_at >= friend_attributes.updated_at
