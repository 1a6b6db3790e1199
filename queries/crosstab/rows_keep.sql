-- Cross-tab step 2: the rows axis's values (made in ct_values by a crosstab/values_*.sql) kept as
-- ct_rows; the columns axis is made next in ct_values.
-- Grain: no rows. Parameters: none.
alter table ct_values rename to ct_rows
