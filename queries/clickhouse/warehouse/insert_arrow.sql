-- chdb only: insert the Arrow table held in the caller's variable `batch` (chdb's Python() table
-- function reads it in place); a server gets the same rows through clickhouse-connect's insert_arrow.
-- Parameters: {table:Identifier}.
insert into {table:Identifier} select * from Python(batch)
