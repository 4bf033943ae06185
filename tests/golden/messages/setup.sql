-- Logical decoding messages (pg_logical_emit_message): outbox patterns and
-- audit markers. Transactional messages come with their transaction's
-- changes; non-transactional ones at once. Debezium writes each as an
-- `op: "m"` event on <topic.prefix>.message.
CREATE SCHEMA messages;
CREATE TABLE messages.orders (id int PRIMARY KEY, note text);
INSERT INTO messages.orders VALUES (1, 'before');
