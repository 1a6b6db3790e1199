-- Cross-tab: an empty ct_reacted, for the outcomes that do not ask who reacted.
-- Grain: no rows. Parameters: none.
create or replace temp table ct_reacted (user_key integer)
