-- How far the events table goes: its highest rowid (-1 when empty) and its row count.
-- Grain: one row. Parameters: none.
-- events is append-only (the loader, purchase imports and the demo insert; nothing updates or
-- deletes a row), so DuckDB's rowid is the order in which rows were committed: the Parquet
-- export's watermark (dashboard/warehouse/parquet.py).
with final as (
    select coalesce(max(rowid), -1) as hi, count(*) as n
    from events
)
select * from final
