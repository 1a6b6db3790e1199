-- Recipients of a delivery who are not on the staff list (a test send must have none) and the
-- delivery's recipient count. Grain: one row. Parameters: $delivery_id.
with ledger as (
    select user_id from delivery_recipients where delivery_id = $delivery_id
),
final as (
    select count(*) as recipients,
           count(*) filter (where user_id not in (select user_id from staff_recipients)) as not_staff
    from ledger
)
select recipients, not_staff from final
