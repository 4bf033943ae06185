INSERT INTO defaults.kinds (a_now, a_current_timestamp, a_current_date, a_clock, a_uuid, a_required_now) VALUES ('2024-05-06 07:08:09+00', '2024-05-06 07:08:09', '2024-05-06', '2024-05-06 07:08:09+00', '00000000-0000-0000-0000-000000000002', '2024-05-06 07:08:09');
INSERT INTO defaults.millis VALUES (2, 'infinity', 'infinity', 'infinity'), (3, '-infinity', '-infinity', '-infinity');
UPDATE defaults.millis SET t3 = '2024-01-01 00:00:02.5' WHERE id = 1;
DELETE FROM defaults.kinds WHERE id = 1;
