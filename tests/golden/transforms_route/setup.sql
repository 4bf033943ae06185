-- Topic routers and predicates: ByLogicalTableRouter merging shards into one
-- topic (keys made unique with the shard, from key.field.regex) and a second
-- one without key uniqueness; RegexRouter; RecordIsTombstone (negated) and
-- HasHeaderKey choosing which records a transform sees.
CREATE SCHEMA transforms_route;
CREATE TABLE transforms_route.shard_1 (id int PRIMARY KEY, name text);
CREATE TABLE transforms_route.shard_2 (id int PRIMARY KEY, name text);
CREATE TABLE transforms_route.region_eu (code text PRIMARY KEY, n int);
CREATE TABLE transforms_route.region_us (code text PRIMARY KEY, n int);
CREATE TABLE transforms_route.plain (id int PRIMARY KEY, v text);
CREATE TABLE transforms_route.orders (id int PRIMARY KEY, amount int);
CREATE TABLE transforms_route.keyless (v text);
-- Inserted into only; Spillway asks keyless tables for a replica identity.
ALTER TABLE transforms_route.keyless REPLICA IDENTITY FULL;
INSERT INTO transforms_route.shard_1 VALUES (1, 'a');
INSERT INTO transforms_route.shard_2 VALUES (1, 'b');
INSERT INTO transforms_route.region_eu VALUES ('x', 1);
INSERT INTO transforms_route.plain VALUES (1, 'p');
INSERT INTO transforms_route.orders VALUES (1, 100);
INSERT INTO transforms_route.keyless VALUES ('k');
