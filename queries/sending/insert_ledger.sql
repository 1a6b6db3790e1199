-- The send ledger: one row per recipient, planned, with its batch and the batch's retry key (one UUID per batch).
-- Grain: one row per delivery x recipient.
-- Parameters: $id (delivery_id); reads the temp table plan_recipients (user_id, batch_no).
insert into delivery_recipients (delivery_id, user_id, user_key, batch_no, retry_key, status)
with keys as (
    select batch_no, uuid()::varchar as retry_key from (select distinct batch_no from plan_recipients)
)
select $id, p.user_id, f.user_key, p.batch_no, k.retry_key, 'planned'
from plan_recipients p
join keys k using (batch_no)
left join friends f on f.user_id = p.user_id
order by p.batch_no
