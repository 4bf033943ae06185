UPDATE toast.full_rows SET note = 'b' WHERE id = 1;
UPDATE toast.default_rows SET note = 'b' WHERE id = 1;
INSERT INTO toast.generated (id, price, quantity) VALUES (2, 1.25, 3);
UPDATE toast.generated SET quantity = 10 WHERE id = 1;
DELETE FROM toast.full_rows WHERE id = 1;
