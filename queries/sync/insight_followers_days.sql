-- LINE sync, insight_followers: the days from $first on that we already hold, with when they were
-- fetched. A row with null numbers is a day LINE answered out_of_service (not counted by LINE):
-- recorded so that it is not asked again. Days LINE answered unready have no row.
-- Grain: one row per day held. Parameters: $first.
select day, fetched_at, followers is null and targeted_reaches is null and blocks is null as out_of_service
from insight_followers
where day >= $first
