-- Save one cross-tab view (the name is unique: a second view of the same name is refused).
-- Grain: one new crosstab_views row. Parameters: $id, $view_name, $rows_dim, $cols_dim, $outcome,
-- $params (JSON text), $actor, $at.
insert into crosstab_views (view_id, name, rows_dim, cols_dim, outcome, params, created_by, created_at)
values ($id, $view_name, $rows_dim, $cols_dim, $outcome, $params::json, $actor, $at)
