-- Replica identities and keys: a key from a REPLICA IDENTITY USING INDEX
-- index (no primary key) and a change of it, a unique index that is not the
-- replica identity, an insert-only log table (REPLICA IDENTITY NOTHING), and
-- keyless tables under REPLICA IDENTITY FULL, their deletes and tombstones.
CREATE SCHEMA identity;
CREATE TABLE identity.by_index (code text NOT NULL, region int NOT NULL, note text);
CREATE UNIQUE INDEX by_index_a ON identity.by_index (note);
CREATE UNIQUE INDEX by_index_z ON identity.by_index (code, region);
ALTER TABLE identity.by_index REPLICA IDENTITY USING INDEX by_index_z;
CREATE TABLE identity.log (at int, message text);
ALTER TABLE identity.log REPLICA IDENTITY NOTHING;
CREATE TABLE identity.keyless (a int, b text);
ALTER TABLE identity.keyless REPLICA IDENTITY FULL;
CREATE TABLE identity.pk_full (id int PRIMARY KEY, v text);
ALTER TABLE identity.pk_full REPLICA IDENTITY FULL;
INSERT INTO identity.by_index VALUES ('a', 1, 'first');
INSERT INTO identity.log VALUES (1, 'started');
INSERT INTO identity.keyless VALUES (1, 'one');
INSERT INTO identity.pk_full VALUES (1, 'one');
