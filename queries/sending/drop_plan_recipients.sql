-- The send plan's working table, dropped once the ledger is written.
-- Parameters: none.
drop table if exists plan_recipients
