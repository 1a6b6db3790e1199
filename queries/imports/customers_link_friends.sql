-- Import write step: the friend side of the CRM link — friends.customer_id for each friend the plan
-- links (a friend named by one row only: see links_friend in customers_plan.sql).
-- Grain: one update per linked friend. Parameters: none (reads _import_plan).
update friends set customer_id = p.customer_id
from _import_plan p
where p.links_friend and friends.user_id = p.line_user_id
