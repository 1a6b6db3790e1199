-- Import plan for a site-visits file (web analytics per day and route): each good row compared with
-- site_visits. An imported day x route replaces what is stored for it, whatever its source.
-- Grain: one row per day and route in the file. Parameters: none (reads _import_rows).
-- Definitions: change insert, update (visits or source differ), unchanged; no friend is touched.
create or replace temp table _import_plan as
select r.line_no,
       case when v.day is null then 'insert'
            when v.visits = r.visits and v.source = 'import' then 'unchanged'
            else 'update'
       end as change,
       r.day, r.inflow_route, r.visits, v.visits as old_visits, v.source as old_source,
       false as unlinked, false as links_friend, []::integer[] as touched_keys,
       null::timestamptz as touched_since
from _import_rows r
left join site_visits v on v.day = r.day and v.inflow_route = r.inflow_route
