-- The outbox EventRouter with table.expand.json.payload=true: a jsonb
-- payload expanded into a struct whose schema is inferred from it (nested
-- objects, arrays of objects with different members, int32, int64 and
-- double numbers, nulls and empty arrays left out), and a text payload with
-- nulls as optional bytes and a column beside it (empty arrays are left out
-- there too: 3.6.3 has no table.json.payload.empty.array.behavior).
-- Payloads Debezium cannot expand (an array of mixed types, a JSON string,
-- text that is no JSON) stay strings.
CREATE SCHEMA transforms_outbox_expand;
CREATE TABLE transforms_outbox_expand.outbox (id text PRIMARY KEY, aggregatetype text NOT NULL, aggregateid text NOT NULL, payload jsonb);
CREATE TABLE transforms_outbox_expand.events (id text PRIMARY KEY, aggregatetype text NOT NULL, aggregateid text NOT NULL, body text, ctx text);
INSERT INTO transforms_outbox_expand.outbox VALUES ('s1', 'order', 'o-0', '{"total": 1.25, "lines": [{"sku": "z"}]}');
