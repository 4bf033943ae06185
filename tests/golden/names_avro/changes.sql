INSERT INTO "Sales Dept"."Order Items" VALUES (2, 1.50, 'second');
UPDATE names_avro."quo""te" SET "back\slash" = 'r' WHERE id = 1;
INSERT INTO names_avro."dotted.name" VALUES (2, 'e');
DELETE FROM names_avro."Ünïcödé" WHERE "ключ" = 1;
INSERT INTO names_avro."1st_table" VALUES (2, 'd2', 'h2');
UPDATE names_avro."my-table" SET "UPPER" = 'V' WHERE id = 1;
