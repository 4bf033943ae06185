-- Names as PostgreSQL allows them and Kafka, Kinesis and Avro do not: spaces,
-- dots, quotes, backslashes, non-ASCII letters, a leading digit, in schemas,
-- tables and columns. Events must stay valid JSON, and topics (stream names)
-- are what Debezium makes of them.
CREATE SCHEMA names;
CREATE SCHEMA "Sales Dept";
CREATE TABLE "Sales Dept"."Order Items" (id int PRIMARY KEY, "unit price" numeric(10,2), "1st" text);
CREATE TABLE names."quo""te" (id int PRIMARY KEY, "back\slash" text);
CREATE TABLE names."dotted.name" (id int PRIMARY KEY, "a.b" text);
CREATE TABLE names."Ünïcödé" ("ключ" int PRIMARY KEY, "naïve" text);
CREATE TABLE names."1st_table" (id int PRIMARY KEY, "$dollar" text, "-dash" text);
INSERT INTO "Sales Dept"."Order Items" VALUES (1, 9.99, 'first');
INSERT INTO names."quo""te" VALUES (1, 'q');
INSERT INTO names."dotted.name" VALUES (1, 'd');
INSERT INTO names."Ünïcödé" VALUES (1, 'n');
INSERT INTO names."1st_table" VALUES (1, 'dollar', 'dash');
