-- Every kind of table definition change, each followed by a change written
-- with the new definition. The golden test applies this file once while
-- capture streams and once while it is stopped (capture reads it all
-- afterwards, when the catalog already holds the last definition); both
-- times every row must arrive with its values and the schema of its time.
-- (A NOT NULL set on its own is not seen while streaming: see
-- COMPATIBILITY.md; here it comes with a new column.)
INSERT INTO ddl.t VALUES (1, 10);
ALTER TABLE ddl.t ADD COLUMN b text;
INSERT INTO ddl.t VALUES (2, 20, 'x');
ALTER TABLE ddl.t ALTER COLUMN a TYPE text;
INSERT INTO ddl.t VALUES (3, 'thirty', 'y');
ALTER TABLE ddl.t DROP COLUMN b;
INSERT INTO ddl.t VALUES (4, 'forty');
ALTER TABLE ddl.t RENAME COLUMN a TO c;
INSERT INTO ddl.t VALUES (5, 'fifty');
UPDATE ddl.t SET c = 'five' WHERE id = 5;
ALTER TABLE ddl.t ADD COLUMN n numeric(5,2) NOT NULL DEFAULT 0;
INSERT INTO ddl.t VALUES (6, 'sixty', 1.25);
ALTER TABLE ddl.t ALTER COLUMN n TYPE numeric(8,3);
INSERT INTO ddl.t VALUES (7, 'seventy', 1.25);
CREATE TYPE ddl.mood AS ENUM ('sad', 'ok');
ALTER TABLE ddl.t ALTER COLUMN c SET NOT NULL, ADD COLUMN m ddl.mood;
INSERT INTO ddl.t VALUES (71, 'seventy-one', 71, 'sad');
INSERT INTO ddl.t VALUES (8, 'eighty', 8, 'ok');
ALTER TYPE ddl.mood ADD VALUE 'happy';
INSERT INTO ddl.t VALUES (9, 'ninety', 9, 'happy');
DELETE FROM ddl.t WHERE id = 1;
UPDATE ddl.full_identity SET a = 1 WHERE id = 0;
ALTER TABLE ddl.full_identity DROP COLUMN b;
UPDATE ddl.full_identity SET a = 2 WHERE id = 0;
ALTER TABLE ddl.full_identity ALTER COLUMN a TYPE bigint;
DELETE FROM ddl.full_identity WHERE id = 0;
INSERT INTO ddl.k VALUES (1, 1);
ALTER TABLE ddl.k DROP CONSTRAINT k_pkey;
ALTER TABLE ddl.k ADD PRIMARY KEY (v);
INSERT INTO ddl.k VALUES (2, 2);
UPDATE ddl.k SET id = 20 WHERE v = 2;
INSERT INTO ddl.gone VALUES (1, 'bye');
UPDATE ddl.gone SET v = 'gone' WHERE id = 0;
DROP TABLE ddl.gone;
DROP TABLE ddl.t;
CREATE TABLE ddl.t (id bigint PRIMARY KEY, z text);
INSERT INTO ddl.t VALUES (10, 'ten');
-- The last change: the test waits for it.
INSERT INTO ddl.k VALUES (99, 99);
