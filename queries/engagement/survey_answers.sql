-- Survey answers given in a period (seed 003: 最近疲れやすい, 肌荒れが気になる …).
-- Grain: one row per answer.
-- Parameters: $start, $end (timestamptz), $routes (varchar[]; empty = all).
-- Definitions: respondents = distinct friends who gave this answer in [start, end); share = of all
-- respondents in the period (a friend who answered twice differently counts in both rows).
with e as (
    select coalesce(e.detail, '?') as answer, e.user_key
    from events e
    join friends f on f.user_key = e.user_key
    where e.type = 'survey_answer'
      and e.occurred_at >= $start and e.occurred_at < $end
      and (len($routes::varchar[]) = 0 or list_contains($routes::varchar[], f.inflow_route))
),
final as (
    select answer, count(distinct user_key) as respondents,
           count(distinct user_key) / (select nullif(count(distinct user_key), 0) from e) as share
    from e group by answer
)
select * from final order by respondents desc, answer
