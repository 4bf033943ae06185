INSERT INTO postgis.shapes VALUES (4, 'SRID=32633;MULTIPOINT((1 2),(3 4))', 'SRID=4326;POINT(1 1)', 'SRID=3857;POLYGON((0 0,1 0,1 1,0 0))', 'POINT Z (4 5 6)', 'POLYGON((0 0,1 0,1 1,0 0))', 'SRID=4326;POINT(10 20)', ARRAY['POINT(5 5)'::geometry, NULL], ARRAY['POINT(2 2)'::geography], 'SRID=4326;POINT(3 3)', 'POINT(4 4)', NULL);
UPDATE postgis.shapes SET g = 'LINESTRING(1 1,2 2,3 3)', earth = 'POINT(0 0)' WHERE id = 1;
DELETE FROM postgis.shapes WHERE id = 3;
