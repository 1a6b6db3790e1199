-- Saved cross-tab views, by name (the cross-tab page's picker, `crosstab --view`).
-- Grain: one row per saved view. Parameters: none.
select view_id, name, rows_dim, cols_dim, outcome, params::varchar as params, created_by, created_at
from crosstab_views
order by name
