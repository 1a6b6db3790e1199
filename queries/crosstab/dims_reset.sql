-- Cross-tab step 2: an empty temp table ct_dims for the two axes' values (this cursor's own).
-- Grain: one row per (axis, friend, value) once filled by the dim_*.sql queries. Parameters: none.
create or replace temp table ct_dims (axis varchar, user_key integer, value varchar)
