-- The follow's reply token on each recipient of a welcome step (batches of one): answered for free.
-- Grain: one row per recipient with a token. Parameters: $id (delivery_id); reads the temp frame tokens
-- (user_id, reply_token, reply_expires_at).
update delivery_recipients d set reply_token = t.reply_token, reply_expires_at = t.reply_expires_at
from tokens t
where d.delivery_id = $id and d.user_id = t.user_id
