INSERT INTO "Sales Dept"."Order Items" VALUES (2, 1.50, 'second');
UPDATE names."quo""te" SET "back\slash" = 'r' WHERE id = 1;
INSERT INTO names."dotted.name" VALUES (2, 'e');
DELETE FROM names."Ünïcödé" WHERE "ключ" = 1;
INSERT INTO names."1st_table" VALUES (2, 'd2', 'h2');
