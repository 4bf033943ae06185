INSERT INTO partitions.measurements VALUES (4, '2025-07-01', 4.5);
INSERT INTO partitions.measurements VALUES (5, '2026-07-01', 5.5);
UPDATE partitions.measurements SET value = 9.9 WHERE id = 1;
UPDATE partitions.measurements SET taken = '2026-02-01' WHERE id = 4;
DELETE FROM partitions.measurements WHERE id = 3;
