-- Loader step 4b: follows, blocks and first sightings of known friends, whatever order and rounds
-- they arrive in (the result depends only on the set of events: tests/test_ingest_property.py):
--   followed_at       the first follow; a friend the webhook found without a follow (added_by
--                     'webhook', last_followed_at null) keeps its first sighting until a follow
--                     arrives, and an earlier sighting moves it back;
--   last_followed_at  the latest follow; blocked_at the latest block;
--   is_following      no block, or the latest follow after the latest block (for a friend from
--                     sync, import or the demo, its recorded add counts as a follow);
--   added_by          a friend known only from sync whose own add (a follow that is not an
--                     unblock) arrives becomes 'webhook': sync listed a friend who had just added
--                     the account, and that add is a new friend like any other.
-- Grain: one update per friend whose row changes. Parameters: none.
update friends set
    followed_at = case when friends.added_by = 'webhook' and friends.last_followed_at is null
                       then coalesce(s.first_follow, least(friends.followed_at, s.first_seen))
                       else least(friends.followed_at, coalesce(s.first_follow, friends.followed_at)) end,
    last_followed_at = greatest(friends.last_followed_at, s.last_follow),
    added_by = case when friends.added_by = 'sync' and s.first_add is not null then 'webhook' else friends.added_by end,
    blocked_at = greatest(friends.blocked_at, s.last_block),
    is_following = greatest(friends.blocked_at, s.last_block) is null
                   or coalesce(coalesce(greatest(friends.last_followed_at, s.last_follow),
                                        case when friends.added_by is distinct from 'webhook' then friends.followed_at end)
                               > greatest(friends.blocked_at, s.last_block), false)
from (select user_id,
             min(occurred_at) filter (where type = 'follow') as first_follow,
             max(occurred_at) filter (where type = 'follow') as last_follow,
             min(occurred_at) filter (where type = 'follow' and detail is distinct from 'unblocked') as first_add,
             max(occurred_at) filter (where type = 'unfollow') as last_block,
             min(occurred_at) as first_seen
      from _ingest_new
      where user_id is not null and source_type = 'user'
      group by user_id) s
where friends.user_id = s.user_id
  and (s.last_follow is not null or s.last_block is not null
       or (friends.added_by = 'webhook' and friends.last_followed_at is null and s.first_seen < friends.followed_at))
