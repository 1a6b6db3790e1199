-- Cross-tab step 1a: an empty ct_unfollowed (this cursor's own temp table), for every outcome but
-- "still following".
-- Grain: no rows. Parameters: none.
create or replace temp table ct_unfollowed (user_key integer)
