-- How far the warehouse has loaded one kind of data for this account: the export generation and
-- run of the Parquet interchange last loaded (0 when nothing yet).
-- Grain: one row. Parameters: {account_id:String}, {kind:String} ('events').
-- ClickHouse SQL (the warehouse's own bookkeeping: no DuckDB twin).
select ifNull(max(run), 0) as run, count() as rows
from warehouse_loads final
where account_id = {account_id:String} and kind = {kind:String}
