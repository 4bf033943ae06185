-- TOASTed values left alone by an update, under REPLICA IDENTITY FULL (the
-- old row carries them) and DEFAULT (it does not), text and arrays; and
-- generated columns, in the snapshot and in streamed changes.
CREATE SCHEMA toast;
CREATE TABLE toast.full_rows (id int PRIMARY KEY, big text, bigs text[], ints int[], note text);
ALTER TABLE toast.full_rows REPLICA IDENTITY FULL;
ALTER TABLE toast.full_rows ALTER COLUMN big SET STORAGE EXTERNAL;
ALTER TABLE toast.full_rows ALTER COLUMN bigs SET STORAGE EXTERNAL;
ALTER TABLE toast.full_rows ALTER COLUMN ints SET STORAGE EXTERNAL;
CREATE TABLE toast.default_rows (id int PRIMARY KEY, big text, bigs text[], ints int[], note text);
ALTER TABLE toast.default_rows ALTER COLUMN big SET STORAGE EXTERNAL;
ALTER TABLE toast.default_rows ALTER COLUMN bigs SET STORAGE EXTERNAL;
ALTER TABLE toast.default_rows ALTER COLUMN ints SET STORAGE EXTERNAL;
CREATE TABLE toast.generated (id int PRIMARY KEY, price numeric(8,2), quantity int, total numeric(10,2) GENERATED ALWAYS AS (price * quantity) STORED);
INSERT INTO toast.full_rows VALUES (1, repeat('f', 5000), ARRAY[repeat('g', 5000)], (SELECT array_agg(g) FROM generate_series(1, 3000) g), 'a');
INSERT INTO toast.default_rows VALUES (1, repeat('d', 5000), ARRAY[repeat('e', 5000)], (SELECT array_agg(g) FROM generate_series(1, 3000) g), 'a');
INSERT INTO toast.generated (id, price, quantity) VALUES (1, 2.50, 4);
