-- The logical decoding messages of tests/golden/messages/ with
-- provide.transaction.metadata=true: a transactional message event carries
-- its transaction block, and is counted in its transaction's END event.
CREATE SCHEMA messages_transactions;
CREATE TABLE messages_transactions.orders (id int PRIMARY KEY, note text);
INSERT INTO messages_transactions.orders VALUES (1, 'before');
