-- Import plan for a tags file: each good row compared with friend_tags.
-- Grain: one row per friend and tag in the file. Parameters: $now (timestamptz, the default tagged_at).
-- Definitions:
--   change   insert (new tag for the friend), unchanged (the friend has it already: its first date
--            and origin are kept), not_a_friend (the LINE user ID is no friend: a bad row).
create or replace temp table _import_plan as
select r.line_no,
       case when f.user_id is null then 'not_a_friend'
            when t.user_id is null then 'insert'
            else 'unchanged'
       end as change,
       r.user_id, f.user_key, r.tag, coalesce(r.tagged_at, $now::timestamptz) as tagged_at,
       false as unlinked, false as links_friend,
       case when f.user_id is not null and t.user_id is null then [f.user_key] else []::integer[] end as touched_keys,
       null::timestamptz as touched_since
from _import_rows r
left join friends f on f.user_id = r.user_id
left join friend_tags t on t.user_id = r.user_id and t.tag = r.tag
