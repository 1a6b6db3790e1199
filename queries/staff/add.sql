-- Put a LINE user on the staff list (or relabel one already on it).
-- Grain: one row written. Parameters: $user_id, $label, $added_by, $added_at.
insert into staff_recipients (user_id, label, added_by, added_at)
values ($user_id, $label, $added_by, $added_at)
on conflict (user_id) do update set label = excluded.label
