-- Cross-tab step 2: the previous run's rows axis (ct_rows) goes before this run keeps its own.
-- Grain: no rows. Parameters: none.
drop table if exists ct_rows
