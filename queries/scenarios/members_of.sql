-- Which of the given friends are members of the rule materialised into segment_members.
-- Grain: one row per member. Parameters: none; reads the temp frame chunk_users (user_id) and segment_members.
select c.user_id from chunk_users c where c.user_id in (select user_id from segment_members)
