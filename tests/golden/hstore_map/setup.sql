-- The extension types of tests/golden/extensions/ under hstore.handling.mode=map.
CREATE EXTENSION IF NOT EXISTS citext;
CREATE EXTENSION IF NOT EXISTS hstore;
CREATE EXTENSION IF NOT EXISTS ltree;
CREATE EXTENSION IF NOT EXISTS isn;
CREATE SCHEMA hstore_map;
CREATE DOMAIN hstore_map.email AS citext CHECK (VALUE LIKE '%@%');
CREATE TABLE hstore_map.items (
    id int PRIMARY KEY,
    name citext,
    names citext[],
    email hstore_map.email,
    attrs hstore,
    attrs_list hstore[],
    path ltree,
    paths ltree[],
    query lquery,
    barcode ean13,
    book isbn13,
    serial issn,
    product upc
);
INSERT INTO hstore_map.items VALUES (1, 'MiXeD Case', '{One,TWO}', 'Someone@Example.com',
    'a=>1, "b c"=>"d e", nul=>NULL', ARRAY['x=>1'::hstore, 'y=>2'::hstore],
    'Top.Science.Astronomy', '{Top.A,Top.B}', '*.Astronomy.*',
    '978-0-306-40615-7', '978-0-306-40615-7', '0317-8471', '036000291452');
INSERT INTO hstore_map.items VALUES (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO hstore_map.items VALUES (3, '', '{}', 'a@b', '', '{}', '', '{}', 'Top', '0000000000000', '978-1-4028-9462-6', '1234-5679', '012345678905');
