-- Loader step 6f: the friend side of an account link. Grain: one update per friend. Parameters: none.
update friends set customer_id = l.customer_id
from (select user_id, split_part(arg_max(link_nonce, occurred_at), '.', 1) as customer_id
      from _ingest_new
      where type = 'account_link' and link_result = 'ok' and split_part(link_nonce, '.', 1) <> ''
      group by user_id) l
where friends.user_id = l.user_id
