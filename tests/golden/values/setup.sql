-- The values scenario (see changes.sql): its schema, and one row for the
-- snapshot, which tells that capture streams.
CREATE SCHEMA "values";
CREATE TABLE "values".ready (id int PRIMARY KEY);
INSERT INTO "values".ready VALUES (1);
