-- The zeros scenario (see changes.sql, written by
-- scripts/golden/make_zeros.py): its schema, and one row for the snapshot,
-- which tells that capture streams.
CREATE SCHEMA zeros;
CREATE TABLE zeros.ready (id int PRIMARY KEY);
INSERT INTO zeros.ready VALUES (1);
