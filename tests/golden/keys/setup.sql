-- message.key.columns (settings.properties): a key of one's choice for a
-- table with a primary key and for a keyless one; a table the setting does
-- not name keeps its primary key.
CREATE SCHEMA keys;
CREATE TABLE keys.orders (id int PRIMARY KEY, customer text NOT NULL, number int NOT NULL, note text);
CREATE TABLE keys.events (id int NOT NULL, kind text, payload text);
ALTER TABLE keys.events REPLICA IDENTITY FULL;
CREATE TABLE keys.plain (id int PRIMARY KEY, v text);
INSERT INTO keys.orders VALUES (1, 'acme', 7, 'first');
INSERT INTO keys.events VALUES (1, 'created', 'x');
INSERT INTO keys.plain VALUES (1, 'p');
