-- Inflow routes known to the account, with their display names.
-- Grain: one row per route. Parameters: none.
select route, name_ja, name_en from inflow_routes order by created_at, route
