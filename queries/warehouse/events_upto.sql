-- Events at or below a rowid watermark: the export checks that the rows it already wrote are
-- still there (the table was not rewritten under it).
-- Grain: one row. Parameters: $hi (bigint: the watermark).
with final as (
    select count(*) as n
    from events
    where rowid <= $hi
)
select * from final
