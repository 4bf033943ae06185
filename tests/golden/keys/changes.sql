INSERT INTO keys.orders VALUES (2, 'bolt', 8, 'second');
UPDATE keys.orders SET note = 'changed' WHERE id = 1;
UPDATE keys.orders SET number = 9 WHERE id = 2;
INSERT INTO keys.events VALUES (2, 'updated', 'y');
UPDATE keys.events SET payload = 'z' WHERE id = 1;
DELETE FROM keys.events WHERE id = 2;
UPDATE keys.plain SET v = 'q' WHERE id = 1;
