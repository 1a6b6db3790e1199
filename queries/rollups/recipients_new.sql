-- Incremental rollups: a broadcast's first estimated recipients of a route it had no row for (a
-- broadcast has no ledger: recipients_estimated; no reactions of that route, or it had a row).
-- Grain: one row per broadcast and route added. Parameters: none.
insert into rollup_delivery_route (delivery_id, inflow_route, recipients, recipients_estimated, reactors_24h, converters_7d)
select c.delivery_id, c.inflow_route, c.change, true, 0, 0
from temp._rollup_recipient_changes c
where not exists (select 1 from rollup_delivery_route t
                  where t.delivery_id = c.delivery_id and t.inflow_route is not distinct from c.inflow_route)
