-- The names of tests/golden/names/ and a table whose topic Kafka accepts and
-- Avro does not ("my-table"), under schema.name.adjustment.mode and
-- field.name.adjustment.mode (settings.properties).
CREATE SCHEMA names_avro_unicode;
CREATE SCHEMA "Sales Dept";
CREATE TABLE "Sales Dept"."Order Items" (id int PRIMARY KEY, "unit price" numeric(10,2), "1st" text);
CREATE TABLE names_avro_unicode."quo""te" (id int PRIMARY KEY, "back\slash" text);
CREATE TABLE names_avro_unicode."dotted.name" (id int PRIMARY KEY, "a.b" text);
CREATE TABLE names_avro_unicode."Ünïcödé" ("ключ" int PRIMARY KEY, "naïve" text);
CREATE TABLE names_avro_unicode."1st_table" (id int PRIMARY KEY, "$dollar" text, "-dash" text);
INSERT INTO "Sales Dept"."Order Items" VALUES (1, 9.99, 'first');
INSERT INTO names_avro_unicode."quo""te" VALUES (1, 'q');
INSERT INTO names_avro_unicode."dotted.name" VALUES (1, 'd');
INSERT INTO names_avro_unicode."Ünïcödé" VALUES (1, 'n');
INSERT INTO names_avro_unicode."1st_table" VALUES (1, 'dollar', 'dash');
CREATE TABLE names_avro_unicode."my-table" (id int PRIMARY KEY, "_under" text, "UPPER" text, "x_1" text);
INSERT INTO names_avro_unicode."my-table" VALUES (1, 'u', 'U', 'x');
