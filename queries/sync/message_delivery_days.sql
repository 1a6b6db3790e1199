-- LINE sync, delivery_counts: the days from $first on that we already hold, with when they were
-- fetched. A row whose counts are all null is a day LINE answered out_of_service: recorded so that
-- it is not asked again (a ready day stores 0 for a kind LINE left out). Unready days have no row.
-- Grain: one row per day held. Parameters: $first.
select day, fetched_at,
       coalesce(broadcast, targeting, auto_response, welcome_response, chat, api_broadcast, api_push,
                api_multicast, api_narrowcast, api_reply) is null as out_of_service
from insight_message_delivery
where day >= $first
