-- Delete one compose draft of its owner (another user's draft stays).
-- Grain: the rows removed (0 or 1). Parameters: $draft_id, $owner.
delete from compose_drafts
where draft_id = $draft_id and owner = $owner
