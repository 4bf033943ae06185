//! Randomized values through capture: for a fixed time, rows of random
//! values of the common built-in types (each across its whole range, special
//! values included) are written while capture streams. Capture must never
//! stop, every line must be JSON, and the temporal and integer values must
//! equal what PostgreSQL itself computes for them (epoch days and
//! microseconds), row by row.

use std::time::{Duration, Instant};

use serde_json::Value;
use support::postgres::{Database, records, start_capture, wait_for_records};

mod support;

/// How long rows are generated.
const WRITING: Duration = Duration::from_secs(15);

/// One random value of each column, over its whole range: SQL expressions.
const COLUMNS: &[(&str, &str, &str)] = &[
    ("i2", "int2", "(random() * 65535 - 32768)::int2"),
    (
        "i4",
        "int4",
        "(random() * 4294967295 - 2147483648)::int8::int4",
    ),
    (
        "i8",
        "int8",
        "(random() * 2^63 * (CASE WHEN random() < 0.5 THEN -1 ELSE 1 END))::numeric::int8",
    ),
    (
        "f8",
        "float8",
        "(ARRAY['NaN', 'Infinity', '-Infinity', (random() * 10 ^ (random() * 600 - 300))::text])[1 + floor(random() * 4)::int]::float8",
    ),
    (
        "n",
        "numeric",
        "(ARRAY['NaN', 'Infinity', '-Infinity', round((random() - 0.5)::numeric * 10::numeric ^ floor(random() * 40)::int, floor(random() * 20)::int)::text])[1 + floor(random() * 4)::int]::numeric",
    ),
    (
        "d",
        "date",
        "(ARRAY['infinity', '-infinity', (date '4714-11-24 BC' + floor(random() * 2147480000)::int)::text])[1 + floor(random() * 3)::int]::date",
    ),
    (
        "ts",
        "timestamp",
        "timestamp 'epoch' + (random() * 9.43e12 - 2.1e11) * interval '1 second'",
    ),
    (
        "tz",
        "timestamptz",
        "timestamptz 'epoch' + (random() * 9.43e12 - 2.1e11) * interval '1 second'",
    ),
    (
        "iv",
        "interval",
        "make_interval(years => floor((random() - 0.5) * 300000)::int, days => floor((random() - 0.5) * 1e6)::int, secs => (random() - 0.5) * 1e9)",
    ),
    (
        "tm",
        "time",
        "time '00:00' + random() * interval '24 hours'",
    ),
    (
        "t",
        "text",
        "(SELECT string_agg(chr(CASE WHEN c BETWEEN 55296 AND 57343 THEN 65 ELSE c END), '') FROM (SELECT 1 + floor(random() * 200000)::int AS c FROM generate_series(1, floor(random() * 20)::int)) s)",
    ),
    ("b", "bytea", "decode(md5(random()::text), 'hex')"),
    ("a", "int4[]", "ARRAY[floor(random() * 100)::int, NULL, -1]"),
];

#[test]
fn random_values_never_stop_capture_and_equal_postgresqls_own_numbers() {
    let db = Database::create("capture_random");
    let columns: Vec<String> = COLUMNS
        .iter()
        .map(|(name, ty, _)| format!("{name} {ty}"))
        .collect();
    db.sql(&format!(
        "CREATE TABLE r (id serial PRIMARY KEY, {})",
        columns.join(", ")
    ));
    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().join("events.jsonl");
    let config = db.config(dir.path(), "capture_random", "");
    let mut capture = start_capture(&config, &dir, &out);
    capture.wait_for("streaming", 1);
    let names: Vec<&str> = COLUMNS.iter().map(|(name, ..)| *name).collect();
    let values: Vec<&str> = COLUMNS.iter().map(|(_, _, value)| *value).collect();
    let started = Instant::now();
    while started.elapsed() < WRITING {
        db.sql(&format!(
            "INSERT INTO r ({}) SELECT {} FROM generate_series(1, 200)",
            names.join(", "),
            values.join(", ")
        ));
    }
    let rows: usize = db
        .sql("SELECT count(*) FROM r")
        .trim()
        .parse()
        .expect("count");
    let events = wait_for_records(&out, rows);
    capture.terminate();
    for line in std::fs::read_to_string(&out).expect("events").lines() {
        assert!(
            serde_json::from_str::<Value>(line).is_ok(),
            "not JSON: {line}"
        );
    }
    assert_eq!(records(&out).len(), rows, "one event per row");

    // PostgreSQL's own numbers for the same rows: epoch days and
    // microseconds (clamped to 64 bits, as Spillway does), and the integers.
    let expected = db.sql(
        "SELECT id, i2, i4, i8, \
                CASE WHEN d = 'infinity' THEN -2147472692 WHEN d = '-infinity' THEN -2147472691 \
                     ELSE d - date '1970-01-01' END, \
                greatest(least(extract(epoch FROM ts) * 1000000, 9223372036854775807), -9223372036854775808)::int8, \
                extract(epoch FROM tm) * 1000000 \
         FROM r ORDER BY id",
    );
    let by_id: std::collections::HashMap<i64, &Value> = events
        .iter()
        .filter_map(|e| Some((e["key"]["payload"]["id"].as_i64()?, e)))
        .collect();
    let mut checked = 0;
    for line in expected.lines() {
        let fields: Vec<&str> = line.split('|').collect();
        let id: i64 = fields[0].parse().expect("id");
        let after = &by_id.get(&id).expect("an event for every row")["value"]["payload"]["after"];
        for (i, column) in ["i2", "i4", "i8", "d", "ts", "tm"].iter().enumerate() {
            let want: f64 = fields[i + 1].parse().expect("number");
            let got = after[column].as_f64().unwrap_or(f64::NAN);
            assert!(
                want == got,
                "row {id}, column {column}: PostgreSQL says {} and the event {}",
                fields[i + 1],
                after[column]
            );
        }
        checked += 1;
    }
    assert!(checked > 1000, "{checked} rows checked");
}
