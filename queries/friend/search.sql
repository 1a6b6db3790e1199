-- Find friends for the friend page by what was typed: display name (part, any case), part of the
-- LINE user ID (4 characters or more that could be one: hex digits, optionally after the U), or the
-- CRM customer ID (exactly, or a part of 2 characters or more written in ASCII). An e-mail address
-- is searched by friend/search_email.sql instead.
-- Grain: one row per matching friend, the best matches first (the exact user ID or customer ID,
-- then the exact name, then names that start with the text), newest friends first within each, at
-- most $limit (the caller asks one more than it shows, to say when there are more).
-- Parameters: $q (text as typed, may be empty), $limit.
-- (Why so: LINE user IDs are U + 32 lower-case hex, so a text that is not hex cannot be part of
-- one and DuckDB need not read a million of them; ordering by the integer key instead of the name,
-- and not counting every match, lets the top $limit be kept cheaply: 小林 (62,490 matches at 1M
-- friends) 43 → 17 ms, "taro" 62 → 16 ms; a whole user ID is looked up, not searched for in
-- every ID: 54 → 17 ms.)
with matched as (
    select f.user_key,
           case when f.user_id = trim($q) or f.customer_id = trim($q) then 1
                when lower(f.display_name) = lower(trim($q)) then 2
                when starts_with(lower(f.display_name), lower(trim($q))) then 3
                else 4 end as rank
    from friends f
    where length(trim($q)) > 0
      and (contains(lower(coalesce(f.display_name, '')), lower(trim($q)))
           or f.customer_id = trim($q)
           -- (case, not and: DuckDB then skips the IDs entirely for a text that cannot match them)
           or case when regexp_full_match(trim($q), 'U[0-9a-f]{32}') then f.user_id = trim($q)   -- a whole ID: its key
                   when length(trim($q)) >= 4 and regexp_full_match(trim($q), '[Uu]?[0-9a-fA-F]+')
                   then contains(f.user_id, case when starts_with(lower(trim($q)), 'u') then 'U' || lower(substr(trim($q), 2))
                                                else lower(trim($q)) end) else false end
           or case when length(trim($q)) >= 2 and regexp_full_match(trim($q), '[ -~]+') and f.customer_id is not null
                   then contains(lower(f.customer_id), lower(trim($q))) else false end)
),
best as (
    select user_key, rank
    from matched
    order by rank, user_key desc
    limit $limit
),
final as (
    select f.user_key, f.user_id, f.display_name, f.inflow_route, f.followed_at, f.is_following, f.customer_id
    from best b
    join friends f on f.user_key = b.user_key
    order by b.rank, b.user_key desc
)
select * from final
