-- Rows of this account's events from one export run (0 unless a load of it was interrupted).
-- Parameters: {account_id:String}, {run:UInt32}.
select count() as rows from events where account_id = {account_id:String} and _run = {run:UInt32}
