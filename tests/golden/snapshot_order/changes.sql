INSERT INTO snapshot_order.alpha VALUES (3, 'after the snapshot');
