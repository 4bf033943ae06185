-- ExtractNewRecordState ("unwrap") in each delete.tombstone.handling.mode,
-- with add.fields, add.headers, their prefixes and new names, route.by.field
-- and replace.null.with.default: one table per configuration, each
-- transform applied to its table's topic only (TopicNameMatches).
CREATE SCHEMA transforms_unwrap;
CREATE TABLE transforms_unwrap.t_default (id int PRIMARY KEY, name text, price numeric(8,2));
CREATE TABLE transforms_unwrap.t_rewrite (id int PRIMARY KEY, name text, qty int DEFAULT 7);
CREATE TABLE transforms_unwrap.t_rwt (id int PRIMARY KEY, name text, qty int DEFAULT 7, ts timestamptz);
CREATE TABLE transforms_unwrap.t_drop (id int PRIMARY KEY, name text);
CREATE TABLE transforms_unwrap.t_d2t (id int PRIMARY KEY, target text, name text);
CREATE TABLE transforms_unwrap.t_nokey (name text, n int);
-- Inserted into only; Spillway asks keyless tables for a replica identity.
ALTER TABLE transforms_unwrap.t_nokey REPLICA IDENTITY FULL;
INSERT INTO transforms_unwrap.t_default VALUES (1, 'one', 1.50);
INSERT INTO transforms_unwrap.t_rewrite VALUES (1, 'one', NULL);
INSERT INTO transforms_unwrap.t_rwt VALUES (1, 'one', NULL, '2026-01-02 03:04:05+00');
INSERT INTO transforms_unwrap.t_drop VALUES (1, 'one');
INSERT INTO transforms_unwrap.t_d2t VALUES (1, 'golden.routed_one', 'one');
INSERT INTO transforms_unwrap.t_nokey VALUES ('one', 1);
