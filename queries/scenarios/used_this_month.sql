-- Messages sent this month (account time zone) by the send ledger, test sends included: what an
-- enrolment's cost is added to. Grain: one row. Parameters: $start (first instant of the month).
select count(*) as used from delivery_recipients where status = 'sent' and sent_at >= $start
