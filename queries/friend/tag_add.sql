-- Add a tag to one friend by hand (origin manual); adding a tag they already have changes nothing.
-- Grain: at most one new friend_tags row. Parameters: $user_id, $tag, $at.
insert into friend_tags (user_key, user_id, tag, tagged_at, origin)
select f.user_key, f.user_id, $tag, $at, 'manual' from friends f
where f.user_id = $user_id
  and not exists (select 1 from friend_tags t where t.user_id = $user_id and t.tag = $tag)
