-- Record when the dimension tables just loaded were taken from DuckDB (the Parquet export's
-- snapshots_at): what a send's audience read from the warehouse is "as of" (friends' states,
-- the ledger).
-- Parameters: {account_id:String}, {taken:Int64} (microseconds since the epoch).
insert into warehouse_loads (account_id, kind, run, loaded_at)
select {account_id:String}, 'snapshots', 0, fromUnixTimestamp64Micro({taken:Int64})
