-- Deliveries to go on with: unfinished ones with a status in $statuses, and scheduled ones that are due.
-- Grain: one row per delivery, oldest first. Parameters: $statuses (varchar list).
select delivery_id from deliveries
where list_contains($statuses, status) or (status = 'scheduled' and scheduled_at <= current_timestamp)
order by created_at
