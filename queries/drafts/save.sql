-- Keep one compose draft (new, or the same draft written again by its owner).
-- Grain: one row written. Parameters: $draft_id, $owner, $title, $state (JSON text), $updated_at.
-- A draft belongs to whoever wrote it first: another user's draft_id is never overwritten.
insert into compose_drafts (draft_id, owner, title, state, updated_at)
values ($draft_id, $owner, $title, $state, $updated_at)
on conflict (draft_id) do update set
    title = excluded.title, state = excluded.state, updated_at = excluded.updated_at
where compose_drafts.owner = excluded.owner
