-- Events committed after one watermark and up to another, for the Parquet export.
-- Grain: one row per event, in commit (rowid) order.
-- Parameters: $lo (bigint: exclusive), $hi (bigint: inclusive).
-- dt: the UTC day of occurred_at (the Hive partition, DIR/events/dt=YYYY-MM-DD/); payload as text.
with final as (
    select event_id, user_key, user_id, type, occurred_at, received_at, delivery_id, detail, amount,
           payload::varchar as payload,
           strftime(timezone('UTC', occurred_at), '%Y-%m-%d') as dt
    from events
    where rowid > $lo and rowid <= $hi
    order by rowid
)
select * from final
