-- The send plan's working table, dropped once the ledger is written.
-- Grain: no rows (a statement).
-- Parameters: none.
drop table if exists plan_recipients
