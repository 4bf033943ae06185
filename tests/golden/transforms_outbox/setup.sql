-- The outbox EventRouter: an outbox table with Debezium's default column
-- names (routed by aggregatetype, keyed by aggregateid, a jsonb payload),
-- columns placed in a header and beside the payload, a schema version
-- column; and a second table with its own column names, topic replacement
-- and tombstones for empty payloads. Updates and deletes are dropped.
CREATE SCHEMA transforms_outbox;
CREATE TABLE transforms_outbox.outbox (id uuid PRIMARY KEY, aggregatetype text NOT NULL, aggregateid text NOT NULL, type text NOT NULL, payload jsonb, version int, tenant text);
CREATE TABLE transforms_outbox.events (id text PRIMARY KEY, kind text NOT NULL, body text, ctx text, aggid int NOT NULL);
INSERT INTO transforms_outbox.outbox VALUES ('6b0e2e6a-3f6e-4c1e-9a1d-1f0d1b6f6a01', 'order', 'o-1', 'OrderCreated', '{"total": 10.5, "items": [1, 2]}', 1, 'acme');
INSERT INTO transforms_outbox.events VALUES ('e1', 'invoice', 'hello', 'c1', 7);
