-- PostGIS geometry and geography (Debezium's io.debezium.data.geometry
-- Geometry and Geography structs: wkb and srid), with and without a type
-- modifier, 2D and 3D, empty, in arrays and under a domain, NOT NULL (a
-- delete's old row) and TOASTed (an update leaving it alone).
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE SCHEMA postgis;
CREATE DOMAIN postgis.place AS geometry(Point, 4326);
CREATE TABLE postgis.shapes (
    id int PRIMARY KEY,
    g geometry,
    point geometry(Point, 4326),
    area geometry(Polygon, 3857),
    solid geometry(PointZ),
    earth geography,
    earth_point geography(Point, 4326),
    many geometry[],
    many_earth geography[],
    place postgis.place,
    fixed geometry NOT NULL,
    big geometry
);
INSERT INTO postgis.shapes VALUES (1, 'POINT(1 2)', 'SRID=4326;POINT(-71.06 42.36)',
    'SRID=3857;POLYGON((0 0,10 0,10 10,0 10,0 0))', 'POINT Z (1 2 3)',
    'POINT(-71 42)', 'SRID=4326;POINT(13.4 52.5)',
    ARRAY['POINT(0 0)'::geometry, 'SRID=4326;LINESTRING(0 0,1 1)'::geometry],
    ARRAY['POINT(1 1)'::geography], 'SRID=4326;POINT(2 48)', 'POINT(5 5)',
    (SELECT ST_MakeLine(array_agg(ST_MakePoint(i, sin(i)))) FROM generate_series(1, 5000) i));
INSERT INTO postgis.shapes VALUES (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'POINT(1 1)', NULL);
INSERT INTO postgis.shapes VALUES (3, 'GEOMETRYCOLLECTION EMPTY', 'SRID=4326;POINT EMPTY',
    'SRID=3857;POLYGON EMPTY', 'POINT Z EMPTY', 'LINESTRING(0 0,1 1)', 'SRID=4326;POINT(0 0)',
    '{}', '{}', 'SRID=4326;POINT(0 0)', 'POINT EMPTY', NULL);
