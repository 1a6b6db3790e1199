-- How many recipients the send plan holds.
-- Grain: one row. Parameters: none; reads the temp table plan_recipients.
select count(*) from plan_recipients
