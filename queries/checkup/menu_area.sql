-- Check-up rule "menu_area": a rich-menu area almost nobody taps (space on the menu better used for
-- something friends want, seed 003).
-- Grain: one row per area tapped in the $known_days days before $as_of whose share of all rich-menu
--   taps in the last $days days is below $share (0–1); none when nobody tapped the menu in those days.
-- Parameters: $as_of (timestamptz), $days, $known_days (integer), $share (double).
-- Definitions: taps = richmenu_tap events (rollup_richmenu_daily, days in the account's time zone);
--   the areas are those seen in the longer window, since the menu's layout itself is not known here.
with known as (
    select area, sum(taps) as taps_known
    from rollup_richmenu_daily
    where day >= ($as_of - to_days($known_days::integer))::date and day < $as_of::date and area is not null
    group by area
),
recent as (
    select area, sum(taps) as taps
    from rollup_richmenu_daily
    where day >= ($as_of - to_days($days::integer))::date and day < $as_of::date and area is not null
    group by area
),
final as (
    select k.area, coalesce(r.taps, 0)::bigint as taps, k.taps_known::bigint as taps_known,
           sum(coalesce(r.taps, 0)) over ()::bigint as all_taps
    from known k left join recent r using (area)
)
select area, taps, taps_known, all_taps, taps / all_taps as share
from final
where all_taps > 0 and taps / all_taps < $share
order by share, area
