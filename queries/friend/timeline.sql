-- One friend's whole story for the friend page, oldest first: everything they did (events: follow,
-- unfollow = block, messages with their text kept from the webhook, postbacks, rich-menu taps, survey
-- answers, tracked-link clicks, purchases, account links, any type LINE adds later), every message
-- sent to them (send-ledger rows with their delivery status: multicasts, step messages, test sends,
-- replies and pushes from the friend page; broadcasts — which have no ledger — while they were
-- following at the send time), their step scenarios (enrolled, completed or left, with the reason),
-- tags and attributes as they stand, and what staff did to this friend (audit_log rows whose object
-- is friend:<user_id>: tags added or removed, a message sent from this page).
-- Grain: one row per thing that happened. Parameters: $user_key; $first_event_at, $last_event_at
-- (friend/event_span.sql: the span of the friend's events as of the rollups' last update, so that
-- DuckDB's zone maps skip the rest of the time-ordered events; both null: the whole table).
-- source: event | sent | broadcast | scenario | tag | attribute | staff; kind: the event type, the
-- delivery kind, the enrolment's change (enrolled, completed, exited), or the staff action.
with me as (
    select user_key, user_id, followed_at, last_followed_at, blocked_at from friends where user_key = $user_key::integer
),
happened as (
    select e.occurred_at as happened_at, 'event' as source, e.type as kind,
           coalesce(json_extract_string(e.payload, '$.message.text'), e.detail) as detail,
           e.delivery_id, null::varchar as status, e.amount, null::varchar as messages, e.event_id as ref
    from events e
    where e.user_key = $user_key::integer
      and ($first_event_at::timestamptz is null or e.occurred_at >= $first_event_at::timestamptz)
      and ($last_event_at::timestamptz is null or e.occurred_at <= $last_event_at::timestamptz)
),
sent as (
    select coalesce(r.sent_at, r.attempted_at, d.scheduled_at, d.created_at) as happened_at, 'sent' as source, d.kind,
           d.title as detail, d.delivery_id, r.status, null::decimal(12, 2) as amount,
           d.messages::varchar as messages, r.error as ref
    from delivery_recipients r
    join deliveries d on d.delivery_id = r.delivery_id
    where r.user_key = $user_key::integer   -- the integer key: a look-up, not a scan of every user ID
       or (r.user_key is null and r.user_id = (select user_id from me))   -- a row planned before the key was known
),
broadcast as (
    select d.sent_at as happened_at, 'broadcast' as source, d.kind, d.title as detail, d.delivery_id, d.status,
           null::decimal(12, 2) as amount, d.messages::varchar as messages, null::varchar as ref
    from deliveries d, me
    where d.kind = 'broadcast' and d.status = 'sent' and d.sent_at is not null
      and me.followed_at < d.sent_at
      and (me.blocked_at is null or me.blocked_at >= d.sent_at
           or (me.last_followed_at > me.blocked_at and me.last_followed_at < d.sent_at))
),
enrolments as (
    select e.enrolled_at, e.status, e.exited_at, e.exit_reason, e.last_sent_at, e.step_no, s.name as scenario
    from scenario_enrolments e
    join scenarios s on s.scenario_id = e.scenario_id
    where e.user_key = $user_key::integer
),
scenario as (
    select enrolled_at as happened_at, 'scenario' as source, 'enrolled' as kind, scenario as detail,
           null::varchar as delivery_id, null::varchar as status, null::decimal(12, 2) as amount,
           null::varchar as messages, null::varchar as ref
    from enrolments
    union all
    select coalesce(exited_at, last_sent_at) as happened_at, 'scenario' as source, status as kind, scenario as detail,
           null::varchar as delivery_id, exit_reason as status, null::decimal(12, 2) as amount,
           null::varchar as messages, null::varchar as ref
    from enrolments
    where status in ('completed', 'exited') and coalesce(exited_at, last_sent_at) is not null
),
tagged as (
    select tagged_at as happened_at, 'tag' as source, origin as kind, tag as detail, null::varchar as delivery_id,
           null::varchar as status, null::decimal(12, 2) as amount, null::varchar as messages, null::varchar as ref
    from friend_tags where user_key = $user_key::integer
),
attributes as (
    select updated_at as happened_at, 'attribute' as source, key as kind, value as detail, null::varchar as delivery_id,
           null::varchar as status, null::decimal(12, 2) as amount, null::varchar as messages, null::varchar as ref
    from friend_attributes where user_key = $user_key::integer
),
staff as (
    select a."at" as happened_at, 'staff' as source, a.action as kind, a.detail::varchar as detail,
           null::varchar as delivery_id, a.actor as status, null::decimal(12, 2) as amount,
           null::varchar as messages, null::varchar as ref
    from audit_log a
    where a.object = 'friend:' || (select user_id from me)
),
final as (
    select * from happened union all select * from sent union all select * from broadcast
    union all select * from scenario union all select * from tagged union all select * from attributes union all select * from staff
)
select * from final order by happened_at, source, ref
