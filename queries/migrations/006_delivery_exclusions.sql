-- Schema version 6 (issue 19, point 10): a delivery keeps the audience it was planned from and each
-- exclusion with the friends it removed, so its detail on the Deliveries page says who was left out and
-- why, as the compose page showed it before the send.

-- JSON: {"audience": 2451, "exclusions": [["frequency_cap", 2261, {"cap": 3, "days": 7}], …]}, in the order
-- the exclusions were applied (dashboard/messaging/planning.py); null for sends made before version 6.
alter table deliveries add column if not exists plan_exclusions varchar;
