-- LINE sync: one call to LINE's API, logged as soon as it has answered (or failed to). Insight
-- endpoints allow 60 requests per hour each, and this log is how sync knows how many it has used.
-- endpoint is the path without its query (e.g. /v2/bot/insight/followers); status is the HTTP
-- status, null when LINE never answered (timeout, network).
-- Grain: one row per API call. Parameters: $called_at, $endpoint, $status.
insert into line_api_calls (called_at, endpoint, status)
values ($called_at, $endpoint, $status)
