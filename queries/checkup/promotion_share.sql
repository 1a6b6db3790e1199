-- Check-up rule "promotion_share" (seed 000: sending the same promotion to everyone until friends
-- block): the share of promotions among the sends of the $days days before $as_of.
-- Grain: one row when the share is above $share (0–1); none otherwise.
-- Parameters: $as_of (timestamptz), $days (integer), $share (double).
-- Definitions: a send = a campaign delivery (broadcast, multicast, narrowcast: not tests, scenario steps
--   or one-to-one messages, whose many small deliveries would dilute the share) that sent at least one
--   message, with sent_at in [as_of − days, as_of); a promotion = deliveries.is_promotion (ticked on compose).
with d as (
    select is_promotion, sent_count
    from deliveries
    where sent_at >= $as_of - to_days($days::integer) and sent_at < $as_of
      and kind in ('broadcast', 'multicast', 'narrowcast') and sent_count > 0
),
final as (
    select count(*) as sends,
           count(*) filter (where is_promotion) as promotions,
           coalesce(sum(sent_count), 0)::bigint as messages,
           coalesce(sum(sent_count) filter (where is_promotion), 0)::bigint as promotion_messages
    from d
)
select sends, promotions, messages, promotion_messages, promotions / sends as share
from final
where sends > 0 and promotions / sends > $share
