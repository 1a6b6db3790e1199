-- When the dimension tables in the warehouse were taken from DuckDB (null before the first load).
-- Grain: one row. Parameters: {account_id:String}.
select max(loaded_at) as taken from warehouse_loads final
where account_id = {account_id:String} and kind = 'snapshots'
