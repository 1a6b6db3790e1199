-- Incremental rollups, per friend: `friend_tags` as the per-friend rollup queries read it, the touched
-- friends' rows only (temp._rollup_keys). A temporary view named like the base table shadows it for
-- this cursor alone, so those queries, unchanged, redo just those rows. The base table is named
-- through its catalog (the database's own name): a plain `friend_tags` here would be the view itself.
-- Grain: one row per row of friend_tags of a friend touched. Parameters: none.
create or replace temp view friend_tags as
select * from query_table('"' || replace(current_database(), '"', '""') || '".main.friend_tags')
where user_key in (select user_key from temp._rollup_keys)
