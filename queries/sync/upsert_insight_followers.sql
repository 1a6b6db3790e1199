-- LINE sync, insight_followers: LINE's follower numbers of one day (UTC+9, as LINE counts it):
-- followers = adds ever (never decreases), targeted_reaches, blocks. Null numbers: out_of_service.
-- Grain: one row per day, replaced when fetched again. Parameters: $day, $followers,
-- $targeted_reaches, $blocks, $fetched_at.
insert into insight_followers (day, followers, targeted_reaches, blocks, fetched_at)
values ($day, $followers, $targeted_reaches, $blocks, $fetched_at)
on conflict (day) do update set
    followers = excluded.followers,
    targeted_reaches = excluded.targeted_reaches,
    blocks = excluded.blocks,
    fetched_at = excluded.fetched_at
