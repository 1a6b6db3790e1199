-- DASHBOARD_ENGINE=clickhouse: a send's audience is read from the warehouse once and kept in DuckDB,
-- so that the count the operator confirms and the ledger written are one snapshot. The snapshots
-- live in an in-memory database of this process (every cursor of the DuckDB file sees it; nothing
-- of it reaches the file): attached once.
-- Grain: no rows. Parameters: none.
attach if not exists ':memory:' as plan_snapshots
