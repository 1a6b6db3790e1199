-- The send ledger: one row per recipient, planned, with its batch and the batch's retry key (one UUID per batch).
-- Grain: one row per delivery x recipient.
-- Parameters: $id (delivery_id); reads the temp table plan_recipients (user_id, user_key, batch_no).
insert into delivery_recipients (delivery_id, user_id, user_key, batch_no, retry_key, status)
with keys as (
    select batch_no, uuid()::varchar as retry_key from (select distinct batch_no from plan_recipients)
)
select $id, p.user_id, coalesce(p.user_key, f.user_key), p.batch_no, k.retry_key, 'planned'
from plan_recipients p
join keys k using (batch_no)
-- only recipients whose user_key the plan does not know are looked up, among those friends only:
-- a scenario step of a few thousand never scans a million friends
left join (select user_id, user_key from friends
           where user_id in (select user_id from plan_recipients where user_key is null)) f
       on f.user_id = p.user_id
order by p.batch_no
