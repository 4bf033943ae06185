INSERT INTO transforms_outbox.outbox VALUES ('6b0e2e6a-3f6e-4c1e-9a1d-1f0d1b6f6a02', 'customer', 'c-1', 'CustomerCreated', '{"name": "Ada"}', 2, 'acme');
INSERT INTO transforms_outbox.outbox VALUES ('6b0e2e6a-3f6e-4c1e-9a1d-1f0d1b6f6a03', 'order', 'o-2', 'OrderShipped', NULL, 1, 'beta');
UPDATE transforms_outbox.outbox SET type = 'OrderChanged' WHERE aggregateid = 'o-1';
DELETE FROM transforms_outbox.outbox WHERE aggregateid = 'o-1';
INSERT INTO transforms_outbox.events VALUES ('e2', 'invoice', '', 'c2', 8);
INSERT INTO transforms_outbox.events VALUES ('e3', 'refund', 'world', 'c3', 9);
