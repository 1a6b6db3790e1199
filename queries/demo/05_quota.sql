-- Demo account, step 5: LINE's quota as a Standard-plan account would report it (LINE_API_NOTES §3:
-- 30,000 free messages a month; beyond them up to ¥3 each, within the cap the operator sets in
-- OA Manager). LINE's quota `value` = free + that cap. The demo's operator set the cap to about
-- 1.2 × a full month at this month's pace, rounded up to 10,000: the cost panel shows an overage,
-- the quota KPI a forecast, and a large extra send meets the monthly limit.
-- Grain: one row, checked at the demo's end.
insert into line_quota (checked_at, quota_type, quota_value, total_usage)
with p as (
    select end_ts, date_trunc('month', end_ts - interval 1 second) as month_start from demo_p
),
used as (
    select coalesce(sum(d.sent_count), 0)::bigint as total_usage,
           greatest(date_diff('second', p.month_start, p.end_ts), 1) / 86400.0 as days_elapsed,
           date_diff('day', p.month_start, p.month_start + interval 1 month) as days_in_month
    from p left join deliveries d on d.sent_at >= p.month_start and d.sent_at < p.end_ts
    group by all
),
final as (
    select p.end_ts as checked_at, 'limited' as quota_type,
           greatest(30000, ceil(u.total_usage / u.days_elapsed * u.days_in_month * 1.2 / 10000) * 10000)::bigint
               as quota_value,
           u.total_usage
    from p, used u
)
select * from final;
