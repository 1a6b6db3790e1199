-- Rows an import plan found bad against the database (e.g. a tag for a user who is no friend).
-- Grain: one row per bad line. Parameters: none (reads _import_plan).
select line_no, change as problem
from _import_plan
where change not in ('insert', 'update', 'unchanged')
order by line_no
