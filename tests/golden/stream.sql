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

INSERT INTO golden.rare_types VALUES (
    3, 'ok', '{happy}', 7, '((0,0),(2,2))', '<(0,0),1.5>', '{0,1,-2}', '[(1,1),(2,3)]',
    '[(0,0),(3,3)]', '((0,0),(0,2),(2,2))', 'streamed words', '0/16B3748',
    '1999-12-31 23:59:59.1+01', '-infinity', 'infinity', '-infinity', '0001-01-01 BC',
    '0001-01-01 00:00:00 BC', '{{5},{6}}'
);
UPDATE golden.rare_types SET c_enum = 'sad', c_domain = 9, c_date_inf = 'infinity',
    c_date_bc = '0044-03-15 BC' WHERE id = 1;
