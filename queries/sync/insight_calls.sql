-- LINE sync: calls to LINE's insight endpoints in the rolling hour before $now, oldest first, for
-- pacing (LINE: 60 requests per hour per endpoint) and the Data page's remaining budget.
-- Grain: one row per insight call in the window. Parameters: $now.
select endpoint, called_at
from line_api_calls
where endpoint like '/v2/bot/insight/%'
  and called_at > $now::timestamptz - interval 1 hour
  and called_at <= $now::timestamptz
order by endpoint, called_at
