INSERT INTO "Sales Dept"."Order Items" VALUES (2, 1.50, 'second');
UPDATE names_avro_unicode."quo""te" SET "back\slash" = 'r' WHERE id = 1;
INSERT INTO names_avro_unicode."dotted.name" VALUES (2, 'e');
DELETE FROM names_avro_unicode."Ünïcödé" WHERE "ключ" = 1;
INSERT INTO names_avro_unicode."1st_table" VALUES (2, 'd2', 'h2');
UPDATE names_avro_unicode."my-table" SET "UPPER" = 'V' WHERE id = 1;
