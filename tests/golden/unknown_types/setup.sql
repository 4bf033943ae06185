-- include.unknown.datatypes=true: the types Debezium leaves out by default
-- (docs/COMPATIBILITY.md's list of built-in ones, and the isn and lquery
-- types of contrib), each with a value and NULL, in the snapshot and
-- streamed. (A refcursor is NULL in the snapshot: Debezium's JDBC snapshot
-- opens a refcursor's value as a cursor and fails.)
CREATE EXTENSION IF NOT EXISTS isn;
CREATE EXTENSION IF NOT EXISTS ltree;
CREATE SCHEMA unknown_types;
CREATE TABLE unknown_types.other (
    id int PRIMARY KEY,
    a_box box, a_circle circle, a_line line, a_lseg lseg, a_path path, a_polygon polygon,
    a_lsn pg_lsn, a_multirange int4multirange, a_jsonpath jsonpath, a_tid tid, a_xid xid,
    a_xid8 xid8, a_cid cid, a_regclass regclass, a_regtype regtype, a_refcursor refcursor,
    an_aclitem aclitem, a_tsquery tsquery, a_txid_snapshot txid_snapshot, a_pg_snapshot pg_snapshot,
    varbits varbit[], moneys money[], names name[], intervals interval[], xmls xml[], points point[],
    a_ean13 ean13, an_lquery lquery
);
INSERT INTO unknown_types.other VALUES (1,
    '((0,0),(1,1))', '<(1,1),2>', '{1,-1,0}', '[(0,0),(1,1)]', '[(0,0),(1,1),(2,0)]', '((0,0),(1,1),(1,0))',
    '16/B374D848', '{[1,3),[5,7)}', '$.a[*] ? (@ > 1)', '(0,1)', '42',
    '42', '7', 'pg_class', 'integer', NULL,
    'postgres=arwdDxt/postgres', 'fat & (rat | cat)', '10:20:10,14,15', '10:20:10,14,15',
    '{101,1}', '{1.50,-2}', '{a,b}', '{1 day,-02:00:00}', '{<a>1</a>}', '{"(1,2)","(3,4)"}',
    '978-0-306-40615-7', '*.Astronomy.*');
INSERT INTO unknown_types.other (id) VALUES (2);
