-- Routes in a visits file that the account does not know (inflow_routes): their visits are stored,
-- but no friend comes from them, so the funnel shows them without adds. Reported as a warning.
-- Grain: one row per unknown route. Parameters: none (reads _import_plan).
select distinct inflow_route
from _import_plan
where inflow_route not in (select route from inflow_routes)
order by inflow_route
