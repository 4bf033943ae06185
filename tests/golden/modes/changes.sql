INSERT INTO modes.items VALUES (4, '\xdeadbeef', '-00:00:01.5', repeat('y', 5000), decode(repeat('cd', 5000), 'hex'), 'd');
UPDATE modes.items SET note = 'a2' WHERE id = 1;
UPDATE modes.items SET note = 'd2' WHERE id = 4;
INSERT INTO modes.items VALUES (5, '\x3e3f', '100 years 11 mons 30 days 25:59:59.999999', 'z', '\x05', 'e');
UPDATE modes.items SET gap = '-2 years -3 mons 4 days -05:06:07', data = '\xfb' WHERE id = 3;
DELETE FROM modes.items WHERE id = 2;
