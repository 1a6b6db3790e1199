-- Record that the schema reached a version: created, or upgraded by a migration file.
-- Grain: one row per version reached. Parameters: $v (version), $note ('created' or 'upgraded by NNN_name.sql').
insert into schema_version (version, note) values ($v, $note)
