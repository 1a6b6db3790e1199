-- Loader step 6d: friends without a route take the one attributed to them; returns who changed
-- (their rollup rows by route must be redone from their add).
-- Grain: one row per friend whose route was set. Parameters: none.
update friends set inflow_route = a.route
from route_attributions a
where friends.user_id = a.user_id and friends.inflow_route is null
  and (a.user_id in (select user_id from _ingest_new)
       or a.user_id in (select user_id from _ingest_records where kind = 'route_login'))
returning friends.user_key, friends.followed_at
