-- Cross-tab step 1a, outcome "still following": the friends NOT following now, into the temp table
-- ct_unfollowed. (The smaller side: the cohort's join looks friends up in it, and a join's cost
-- grows with the table it looks up in.)
-- Grain: one row per friend not following. Parameters: none.
create or replace temp table ct_unfollowed as
select user_key from friends where not is_following
