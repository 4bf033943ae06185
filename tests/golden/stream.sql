-- Changes made while capture streams: inserts, updates, deletes, TOAST-unchanged
-- values under REPLICA IDENTITY DEFAULT, a key change and a truncate.
INSERT INTO golden.all_types (c_int4, c_text, c_numeric, c_timestamptz, c_bytea)
VALUES (7, 'streamed', 99.5, '2030-06-01 12:00:00+00', '\x0102'::bytea);
UPDATE golden.all_types SET c_int4 = 8, c_text = 'updated' WHERE c_text = 'streamed';
UPDATE golden.all_types SET c_varchar = NULL WHERE id = 1;
DELETE FROM golden.all_types WHERE id = 2;

UPDATE golden.toasty SET note = 'first, again' WHERE id = 1;
UPDATE golden.toasty SET note = 'second, again', big = 'now short' WHERE id = 2;
DELETE FROM golden.toasty WHERE id = 1;

BEGIN;
INSERT INTO golden.products (name, description) VALUES ('hammer', NULL);
UPDATE golden.products SET description = 'Big 2-wheel scooter', modified_at = '2024-05-05 05:05:05'
WHERE name = 'scooter';
COMMIT;
UPDATE golden.products SET id = 200 WHERE name = 'car battery';

INSERT INTO golden.pairs VALUES (2, 'c', 0.01);
UPDATE golden.pairs SET weight = 2.5 WHERE left_id = 1 AND right_id = 'a';
DELETE FROM golden.pairs WHERE left_id = 1 AND right_id = 'b';
TRUNCATE golden.pairs;
