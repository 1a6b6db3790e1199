-- Import write step: purchase events whose order changed in the file (or got linked to a friend).
-- Grain: one update per changed order. Parameters: none (reads _import_plan).
update events set user_key = p.user_key, user_id = p.user_id, occurred_at = p.occurred_at,
                  amount = p.amount, detail = p.category, payload = p.payload::json
from _import_plan p
where p.change = 'update' and events.event_id = p.event_id and events.type = 'purchase'
