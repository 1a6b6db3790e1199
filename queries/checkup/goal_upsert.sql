-- Set (or replace) the goal of one KPI.
-- Grain: one row written. Parameters: $kpi, $target (double), $due_on (date), $baseline (double or
-- null: the KPI's value now, progress is measured from it), $set_by, $set_at (timestamptz).
insert into goals (kpi, target, due_on, baseline, set_by, set_at)
values ($kpi, $target, $due_on, $baseline, $set_by, $set_at)
on conflict (kpi) do update set
    target = excluded.target, due_on = excluded.due_on, baseline = excluded.baseline,
    set_by = excluded.set_by, set_at = excluded.set_at
