-- Incremental rollups: the changes of temp._rollup_recipient_changes added to the broadcasts' rows
-- of rollup_delivery_route that exist (rollups/recipients_new inserts the others).
-- Grain: one update per row changed. Parameters: none.
update rollup_delivery_route set recipients = rollup_delivery_route.recipients + c.change
from temp._rollup_recipient_changes c
where rollup_delivery_route.delivery_id = c.delivery_id
  and rollup_delivery_route.inflow_route is not distinct from c.inflow_route
