SELECT pg_logical_emit_message(true, 'outbox', '{"order":2,"event":"created"}');
SELECT pg_logical_emit_message(false, 'audit', 'marker');
BEGIN; INSERT INTO messages_transactions.orders VALUES (2, 'with a message'); SELECT pg_logical_emit_message(true, 'outbox', 'in a transaction'); COMMIT;
SELECT pg_logical_emit_message(true, 'binary', '\x00ff10'::bytea);
SELECT pg_logical_emit_message(true, '', '');
UPDATE messages_transactions.orders SET note = 'after' WHERE id = 1;
BEGIN; SELECT pg_logical_emit_message(true, 'outbox', 'before a change'); UPDATE messages_transactions.orders SET note = 'later' WHERE id = 2; SELECT pg_logical_emit_message(false, 'audit', 'not in the transaction'); COMMIT;
