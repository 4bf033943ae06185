-- Tables snapshotted in table.include.list order (settings.properties), not
-- by name: zeta first, then the tables matching the pattern m.* (by name),
-- then alpha; beta is not captured.
CREATE SCHEMA snapshot_order;
CREATE TABLE snapshot_order.alpha (id int PRIMARY KEY, note text);
CREATE TABLE snapshot_order.beta (id int PRIMARY KEY);
CREATE TABLE snapshot_order.mid (id int PRIMARY KEY, note text);
CREATE TABLE snapshot_order.more (id int PRIMARY KEY);
CREATE TABLE snapshot_order.zeta (id int PRIMARY KEY, note text);
INSERT INTO snapshot_order.alpha VALUES (1, 'alpha one');
INSERT INTO snapshot_order.alpha VALUES (2, 'alpha two');
INSERT INTO snapshot_order.mid VALUES (1, 'mid one');
INSERT INTO snapshot_order.more VALUES (1);
INSERT INTO snapshot_order.more VALUES (2);
INSERT INTO snapshot_order.zeta VALUES (1, 'zeta one');
INSERT INTO snapshot_order.zeta VALUES (2, 'zeta two');
INSERT INTO snapshot_order.zeta VALUES (3, 'zeta three');
