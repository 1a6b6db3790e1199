-- Schema version 11 (issue 15, the friend page's search by e-mail address): an index on the
-- customers' e-mail hash, so that finding the customer of an address is a look-up, not a scan of
-- every customer (20 ms at 533,907 customers, growing with them). CRM imports (insert … on
-- conflict do update) keep it current.
create index if not exists customers_email_hash on customers (email_hash);
