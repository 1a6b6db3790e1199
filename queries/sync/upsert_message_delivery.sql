-- LINE sync, delivery_counts: messages LINE delivered on one day (UTC+9) by kind. In a ready answer
-- LINE leaves out kinds it has nothing for; they are stored as 0. All null: out_of_service.
-- Grain: one row per day, replaced when fetched again. Parameters: $day, $broadcast, $targeting,
-- $auto_response, $welcome_response, $chat, $api_broadcast, $api_push, $api_multicast,
-- $api_narrowcast, $api_reply, $fetched_at.
insert into insight_message_delivery (day, broadcast, targeting, auto_response, welcome_response, chat,
                                      api_broadcast, api_push, api_multicast, api_narrowcast, api_reply, fetched_at)
values ($day, $broadcast, $targeting, $auto_response, $welcome_response, $chat,
        $api_broadcast, $api_push, $api_multicast, $api_narrowcast, $api_reply, $fetched_at)
on conflict (day) do update set
    broadcast = excluded.broadcast, targeting = excluded.targeting, auto_response = excluded.auto_response,
    welcome_response = excluded.welcome_response, chat = excluded.chat, api_broadcast = excluded.api_broadcast,
    api_push = excluded.api_push, api_multicast = excluded.api_multicast,
    api_narrowcast = excluded.api_narrowcast, api_reply = excluded.api_reply, fetched_at = excluded.fetched_at
