-- Remove this account's events of one export run: a load repeated after a crash first removes
-- what the interrupted load had inserted, so every event is there exactly once.
-- Parameters: {account_id:String}, {run:UInt32}.
delete from events where account_id = {account_id:String} and _run = {run:UInt32}
