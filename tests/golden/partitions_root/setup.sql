-- A partitioned table (range partitions, and a default partition), as
-- time-series and multi-tenant databases have them: changes are written to
-- the partitions. Published under the root (settings.properties).
CREATE SCHEMA partitions_root;
CREATE TABLE partitions_root.measurements (id int, taken date NOT NULL, value numeric(8,2), PRIMARY KEY (id, taken)) PARTITION BY RANGE (taken);
CREATE TABLE partitions_root.measurements_2025 PARTITION OF partitions_root.measurements FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE partitions_root.measurements_2026 PARTITION OF partitions_root.measurements FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE TABLE partitions_root.measurements_other PARTITION OF partitions_root.measurements DEFAULT;
INSERT INTO partitions_root.measurements VALUES (1, '2025-06-01', 1.5), (2, '2026-06-01', 2.5), (3, '2030-01-01', 3.5);
