-- Loader step 4b: follows and blocks of known friends, whatever order they arrive in: the latest
-- follow and the latest block win, and the friend follows when the latest follow is after the
-- latest block (a follow with isUnblocked after a block re-follows).
-- Grain: one update per friend with a follow or unfollow in the batch. Parameters: none.
update friends set
    followed_at = least(friends.followed_at, coalesce(s.first_follow, friends.followed_at)),
    last_followed_at = greatest(friends.last_followed_at, s.last_follow),
    blocked_at = greatest(friends.blocked_at, s.last_block),
    is_following = greatest(friends.blocked_at, s.last_block) is null
                   or coalesce(greatest(friends.last_followed_at, s.last_follow), friends.followed_at)
                      > greatest(friends.blocked_at, s.last_block)
from (select user_id,
             min(occurred_at) filter (where type = 'follow') as first_follow,
             max(occurred_at) filter (where type = 'follow') as last_follow,
             max(occurred_at) filter (where type = 'unfollow') as last_block
      from _ingest_new
      where type in ('follow', 'unfollow') and user_id is not null
      group by user_id) s
where friends.user_id = s.user_id
