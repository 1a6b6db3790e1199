-- Record that the warehouse loaded one kind of data up to an export run (generation * 1e6 + run
-- is kept in run's place by the caller: one number that only grows within a generation).
-- Parameters: {account_id:String}, {kind:String}, {run:UInt32}.
insert into warehouse_loads (account_id, kind, run, loaded_at)
select {account_id:String}, {kind:String}, {run:UInt32}, now64(6)
