-- How many recipients of a delivery carry a reply token (a scenario's welcome step answering follows).
-- Grain: one row. Parameters: $id (delivery_id).
select count(*) from delivery_recipients where delivery_id = $id and reply_token is not null
