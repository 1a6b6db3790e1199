-- Loader step 6e: a successful accountLink links the friend to the CRM customer whose id is the
-- part of the nonce before the first '.' (README: "Account link"); the latest link wins.
-- Grain: one row per linked customer. Parameters: none.
insert into customers (customer_id, line_user_id, updated_at)
select split_part(arg_max(link_nonce, occurred_at), '.', 1), user_id, max(occurred_at)
from _ingest_new
where type = 'account_link' and link_result = 'ok' and split_part(link_nonce, '.', 1) <> ''
group by user_id
on conflict (customer_id) do update
    set line_user_id = excluded.line_user_id, updated_at = excluded.updated_at
