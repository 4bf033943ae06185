-- The tables of the schema-change golden test (see changes.sql), as they are
-- when capture first starts: snapshotted with one row each.
CREATE SCHEMA ddl;
CREATE TABLE ddl.t (id int PRIMARY KEY, a int);
CREATE TABLE ddl.gone (id int PRIMARY KEY, v text);
CREATE TABLE ddl.k (id int PRIMARY KEY, v int NOT NULL);
CREATE TABLE ddl.full_identity (id int PRIMARY KEY, a int, b text);
ALTER TABLE ddl.full_identity REPLICA IDENTITY FULL;
INSERT INTO ddl.t VALUES (0, 0);
INSERT INTO ddl.gone VALUES (0, 'kept');
INSERT INTO ddl.k VALUES (0, 0);
INSERT INTO ddl.full_identity VALUES (0, 0, 'zero');
