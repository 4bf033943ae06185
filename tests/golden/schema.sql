-- The golden database: every PostgreSQL built-in type Spillway maps, the
-- replica identities and TOAST cases Debezium treats specially. Loaded before
-- capture starts, so these rows arrive as snapshot reads (op "r").
CREATE SCHEMA golden;

CREATE TABLE golden.all_types (
    id            serial PRIMARY KEY,
    c_bool        boolean,
    c_int2        smallint,
    c_int4        integer,
    c_int8        bigint,
    c_float4      real,
    c_float8      double precision,
    c_numeric     numeric(10, 3),
    c_numeric_any numeric,
    c_money       money,
    c_char        char(3),
    c_varchar     varchar(20),
    c_text        text NOT NULL DEFAULT 'none',
    c_bytea       bytea,
    c_date        date,
    c_time        time,
    c_time3       time(3),
    c_timetz      timetz,
    c_timestamp   timestamp,
    c_timestamp3  timestamp(3),
    c_timestamptz timestamptz,
    c_interval    interval,
    c_uuid        uuid,
    c_json        json,
    c_jsonb       jsonb,
    c_xml         xml,
    c_inet        inet,
    c_cidr        cidr,
    c_macaddr     macaddr,
    c_macaddr8    macaddr8,
    c_bit1        bit(1),
    c_bit         bit(12),
    c_varbit      varbit(16),
    c_point       point,
    c_int_arr     integer[],
    c_text_arr    text[],
    c_int4range   int4range,
    c_numrange    numrange,
    c_tsrange     tsrange,
    c_tstzrange   tstzrange,
    c_daterange   daterange,
    c_int8range   int8range,
    c_oid         oid,
    c_smallserial smallserial,
    c_bigserial   bigserial
);
ALTER TABLE golden.all_types REPLICA IDENTITY FULL;

-- REPLICA IDENTITY DEFAULT: old rows carry only the key; an update that leaves
-- a TOASTed column alone sends no value for it.
CREATE TABLE golden.toasty (
    id   integer PRIMARY KEY,
    note varchar(100) NOT NULL,
    big  text,
    blob bytea
);
ALTER TABLE golden.toasty ALTER COLUMN big SET STORAGE EXTERNAL;
ALTER TABLE golden.toasty ALTER COLUMN blob SET STORAGE EXTERNAL;

-- The reference's shape, with one column excluded by configuration.
CREATE TABLE golden.products (
    id          serial PRIMARY KEY,
    name        varchar(255) NOT NULL,
    description varchar(512),
    created_at  timestamp NOT NULL DEFAULT '2024-01-01 00:00:00',
    modified_at timestamp NOT NULL DEFAULT '2024-01-01 00:00:00'
);
ALTER SEQUENCE golden.products_id_seq RESTART WITH 101;
ALTER TABLE golden.products REPLICA IDENTITY FULL;

-- A composite primary key.
CREATE TABLE golden.pairs (
    left_id  integer,
    right_id varchar(10),
    weight   numeric(5, 2),
    PRIMARY KEY (left_id, right_id)
);

-- Types beyond all_types: user-defined (enum, domain), geometric (left out,
-- as Debezium does), text search, pg_lsn (left out), infinite and BC
-- timestamps, reduced timestamptz precision, multi-dimensional arrays. Dates
-- of infinity and BC are set only while streaming (stream.sql): Debezium's
-- snapshot writes other numbers for them than its streaming does.
CREATE TYPE golden.mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN golden.positive AS integer CHECK (VALUE > 0);
CREATE TABLE golden.rare_types (
    id            integer PRIMARY KEY,
    c_enum        golden.mood,
    c_enum_arr    golden.mood[],
    c_domain      golden.positive,
    c_box         box,
    c_circle      circle,
    c_line        line,
    c_lseg        lseg,
    c_path        path,
    c_polygon     polygon,
    c_tsvector    tsvector,
    c_pg_lsn      pg_lsn,
    c_tstz3       timestamptz(3),
    c_ts_inf      timestamp,
    c_tstz_inf    timestamptz,
    c_date_inf    date,
    c_date_bc     date,
    c_ts_bc       timestamp,
    c_int_2d      integer[]
);

INSERT INTO golden.rare_types VALUES (
    1, 'happy', '{sad,ok}', 5, '((1,2),(3,4))', '<(1,2),3>', '{1,-1,0}', '[(0,0),(1,1)]',
    '((0,0),(1,1),(2,0))', '((0,0),(1,1),(1,0))', 'a fat cat sat', '16/B374D848',
    '2024-02-29 13:45:30.654+00', 'infinity', '-infinity', NULL, NULL,
    '0044-03-15 12:00:00 BC', '{{1,2},{3,4}}'
), (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
    NULL, NULL, NULL);

INSERT INTO golden.all_types (
    c_bool, c_int2, c_int4, c_int8, c_float4, c_float8, c_numeric, c_numeric_any, c_money,
    c_char, c_varchar, c_text, c_bytea, c_date, c_time, c_time3, c_timetz, c_timestamp,
    c_timestamp3, c_timestamptz, c_interval, c_uuid, c_json, c_jsonb, c_xml, c_inet, c_cidr,
    c_macaddr, c_macaddr8, c_bit1, c_bit, c_varbit, c_point, c_int_arr, c_text_arr, c_int4range,
    c_numrange, c_tsrange, c_tstzrange, c_daterange, c_int8range, c_oid
) VALUES (
    true, -32768, 2147483647, -9223372036854775808, 3.25, -1.5e300, 1234567.891, 3.14159265358979,
    '$1,234.56', 'ab', 'varying', 'text with "quotes" and ünïcode', '\x00ff10'::bytea,
    '2024-02-29', '13:45:30.123456', '13:45:30.123', '13:45:30+02', '2024-02-29 13:45:30.654321',
    '2024-02-29 13:45:30.654', '2024-02-29 13:45:30.5+05:30', '1 year 2 mons 3 days 04:05:06.789',
    'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": [1, 2, {"b": null}]}', '{"z": 1, "a": "x"}',
    '<doc><x>1</x></doc>', '192.168.0.1/24', '10.0.0.0/8', '08:00:2b:01:02:03',
    '08:00:2b:01:02:03:04:05', B'1', B'101000000001', B'10110', '(1.5,-2.25)', '{1,2,NULL,4}',
    '{"a","b c",NULL}', '[1,10)', '(1.5,2.5]', '[2024-01-01 00:00,2024-01-02 00:00)',
    '[2024-01-01 00:00+00,2024-01-02 00:00+00)', '[2024-01-01,2024-02-01)', '[1,100)', 4242
), (
    false, 0, 0, 0, 0, 0, 0, 0, 0, '', '', '', ''::bytea, '1970-01-01', '00:00:00', '00:00:00',
    '00:00:00+00', '1970-01-01 00:00:00', '1970-01-01 00:00:00', '1970-01-01 00:00:00+00',
    '0 seconds', '00000000-0000-0000-0000-000000000000', '[]', '{}', '<a/>', '::1', '::/0',
    '00:00:00:00:00:00', '00:00:00:00:00:00:00:00', B'0', B'000000000000', B'', '(0,0)', '{}',
    '{}', 'empty', 'empty', 'empty', 'empty', 'empty', 'empty', 0
), (
    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, DEFAULT, NULL, NULL, NULL,
    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
), (
    true, 1, -1, 1, 'NaN', 'Infinity', -0.001, 'NaN', -0.01, 'xyz', 'x', 'x', '\xdeadbeef'::bytea,
    '1900-01-01', '23:59:59.999999', '23:59:59.999', '23:59:59.999999-11:30',
    '1900-01-01 00:00:00.000001', '2262-04-11 23:47:16.854', '1900-01-01 00:00:00+00',
    '-1 days -00:00:01', 'ffffffff-ffff-ffff-ffff-ffffffffffff', 'null', '[1, "two", 3.5]',
    '<?xml version="1.0"?><r/>', '2001:db8::1', '2001:db8::/32', 'ff:ff:ff:ff:ff:ff',
    'ff:ff:ff:ff:ff:ff:ff:ff', B'1', B'111111111111', B'1111111111111111', '(-1e10,1e-10)',
    '{-1}', '{"with,comma","with\"quote"}', '(,5]', '[-1.5,)', '(,)', '(,)', '(,2000-01-01]',
    '[-9223372036854775808,9223372036854775807)', 4294967295
);

INSERT INTO golden.toasty
SELECT 1, 'first', string_agg(md5(i::text), ''), decode(string_agg(md5(i::text), ''), 'hex')
FROM generate_series(1, 200) AS i;
INSERT INTO golden.toasty VALUES (2, 'second', 'short', '\x01'::bytea);

INSERT INTO golden.products (name, description) VALUES
    ('scooter', 'Small 2-wheel scooter'),
    ('car battery', '12V car battery');

INSERT INTO golden.pairs VALUES (1, 'a', 1.5), (1, 'b', 99.99);
