//! The Debezium Server keys Spillway reads, so that an `application.properties`
//! written for Debezium Server works unchanged: the PostgreSQL connector's
//! keys (`debezium.source.*`) with Debezium's names, meanings and defaults, the
//! sink keys (`debezium.sink.*`) and the event format keys (`debezium.format.*`).
//! The Debezium keys Spillway accepts without reading are in
//! [`super::families`].
//!
//! Defaults are Debezium's (3.x), except `plugin.name`: Debezium defaults to
//! `decoderbufs`, a server extension Spillway does not speak; Spillway reads
//! `pgoutput`, built into PostgreSQL 10 and later.

use super::keys::{Key, Value};

const fn key(
    name: &'static str,
    default: Option<&'static str>,
    value: Value,
    doc: &'static str,
) -> Key {
    Key {
        name,
        default,
        value,
        doc,
    }
}

const TEXT: Value = Value::Text;
const NUMBER: Value = Value::Number;
const FLAG: Value = Value::Flag;
const REGEXES: Value = Value::Regexes;

/// The PostgreSQL connector class, the only source Spillway has.
pub const POSTGRES_CONNECTOR: &str = "io.debezium.connector.postgresql.PostgresConnector";

/// Every Debezium key Spillway reads.
pub static KEYS: &[Key] = &[
    key(
        "debezium.source.connector.class",
        Some(POSTGRES_CONNECTOR),
        Value::OneOf(&[POSTGRES_CONNECTOR]),
        "The source connector; Spillway is a PostgreSQL source.",
    ),
    key(
        "debezium.source.database.hostname",
        None,
        TEXT,
        "PostgreSQL's host.",
    ),
    key(
        "debezium.source.database.port",
        Some("5432"),
        NUMBER,
        "PostgreSQL's port.",
    ),
    key(
        "debezium.source.database.user",
        None,
        TEXT,
        "The user: it needs the REPLICATION attribute and SELECT on the captured tables.",
    ),
    key(
        "debezium.source.database.password",
        None,
        TEXT,
        "The user's password.",
    ),
    key(
        "debezium.source.database.dbname",
        None,
        TEXT,
        "The database to capture.",
    ),
    key(
        "debezium.source.database.sslmode",
        Some("prefer"),
        Value::OneOf(&[
            "disable",
            "allow",
            "prefer",
            "require",
            "verify-ca",
            "verify-full",
        ]),
        "TLS to PostgreSQL, as libpq's sslmode.",
    ),
    key(
        "debezium.source.database.sslrootcert",
        None,
        TEXT,
        "The file of the certificate authority that signed the server's certificate (PEM), \
         checked with sslmode verify-ca and verify-full.",
    ),
    key(
        "debezium.source.database.sslcert",
        None,
        TEXT,
        "A client certificate file (PEM), passed to the connection. pg_walstream 0.9, the \
         replication library, does not send client certificates yet: a server that requires \
         one refuses the connection (it never connects without it).",
    ),
    key(
        "debezium.source.database.sslkey",
        None,
        TEXT,
        "The client certificate's private key file.",
    ),
    key(
        "debezium.source.database.sslpassword",
        None,
        TEXT,
        "The password of the client certificate's private key, passed with it (see sslcert: \
         client certificates are not sent yet).",
    ),
    key(
        "debezium.source.topic.prefix",
        None,
        TEXT,
        "The logical server name: the first part of stream names (`<prefix>.<schema>.<table>`) \
         and `source.name` in events.",
    ),
    key(
        "debezium.source.plugin.name",
        Some("pgoutput"),
        Value::OneOf(&["pgoutput"]),
        "The logical decoding plugin. Spillway reads pgoutput only (Debezium's default, \
         decoderbufs, needs a server extension).",
    ),
    key(
        "debezium.source.slot.name",
        Some("debezium"),
        TEXT,
        "The replication slot.",
    ),
    key(
        "debezium.source.publication.name",
        Some("dbz_publication"),
        TEXT,
        "The publication.",
    ),
    key(
        "debezium.source.publication.autocreate.mode",
        Some("all_tables"),
        Value::OneOf(&["disabled", "all_tables", "filtered", "no_tables"]),
        "Whether and how to create the publication when it does not exist.",
    ),
    key(
        "debezium.source.message.key.columns",
        None,
        TEXT,
        "The key of chosen tables: `<table>:<column>,<column>;...`, each table a regular \
         expression matching the whole `<schema>.<table>` (`inventory.orders:customer,number`); \
         tables not named keep their primary key.",
    ),
    key(
        "debezium.source.publish.via.partition.root",
        Some("false"),
        FLAG,
        "Whether a partitioned table's changes are captured under its own name (the \
         publication is created WITH (publish_via_partition_root = true)) rather than under \
         each partition's.",
    ),
    key(
        "debezium.source.schema.include.list",
        None,
        REGEXES,
        "Regular expressions for the schemas to capture (whole-name matches); not with the exclude list.",
    ),
    key(
        "debezium.source.schema.exclude.list",
        None,
        REGEXES,
        "Regular expressions for schemas not to capture; not with the include list.",
    ),
    key(
        "debezium.source.table.include.list",
        None,
        REGEXES,
        "Regular expressions for the tables to capture, as `<schema>.<table>`; not with the exclude list.",
    ),
    key(
        "debezium.source.table.exclude.list",
        None,
        REGEXES,
        "Regular expressions for tables not to capture; not with the include list.",
    ),
    key(
        "debezium.source.column.include.list",
        None,
        REGEXES,
        "Regular expressions for the columns to keep, as `<schema>.<table>.<column>`; not with the exclude list.",
    ),
    key(
        "debezium.source.column.exclude.list",
        None,
        REGEXES,
        "Regular expressions for columns to drop from events; not with the include list.",
    ),
    key(
        "debezium.source.message.prefix.include.list",
        None,
        REGEXES,
        "Regular expressions for the prefixes of logical decoding messages \
         (pg_logical_emit_message) written as `op: \"m\"` events on \
         `<topic.prefix>.message`; default: every prefix. Not with the exclude list.",
    ),
    key(
        "debezium.source.message.prefix.exclude.list",
        None,
        REGEXES,
        "Regular expressions for message prefixes never written as events (`.*`: none is). \
         Spillway's own heartbeat messages (prefix `spillway-heartbeat`) never are.",
    ),
    key(
        "debezium.source.snapshot.mode",
        Some("initial"),
        Value::OneOf(&[
            "initial",
            "no_data",
            "initial_only",
            "always",
            "when_needed",
        ]),
        "When to snapshot the captured tables before streaming.",
    ),
    key(
        "debezium.source.snapshot.max.threads",
        Some("1"),
        NUMBER,
        "How many connections read the snapshot at once (1 to 64), all in one snapshot (the \
         slot's exported one when the slot is new): chunks of one table, or of several, are \
         read concurrently and written in the same order as with one.",
    ),
    key(
        "debezium.source.tombstones.on.delete",
        Some("true"),
        FLAG,
        "Whether a delete is followed by a tombstone (an event with a null value).",
    ),
    key(
        "debezium.source.heartbeat.interval.ms",
        Some("0"),
        NUMBER,
        "How often, while streaming, a heartbeat record (key `{\"serverName\":<prefix>}`, \
         value `{\"ts_ms\":<now>}`) is written to `<topic.heartbeat.prefix>.<topic.prefix>`; \
         0 writes none. Spillway's slot advances on idle databases without them \
         (spillway.capture.heartbeat.interval.ms).",
    ),
    key(
        "debezium.source.topic.heartbeat.prefix",
        Some("__debezium-heartbeat"),
        TEXT,
        "The first part of the heartbeat records' topic (and so Kinesis stream) name.",
    ),
    key(
        "debezium.source.heartbeat.action.query",
        None,
        TEXT,
        "A statement run on the captured database at each heartbeat record (e.g. an \
         update of a heartbeat table); a failure is logged and capture goes on.",
    ),
    key(
        "debezium.source.provide.transaction.metadata",
        Some("false"),
        FLAG,
        "Whether to emit transaction boundary events (BEGIN, END on `<prefix>.transaction`) \
         and the `transaction` block in change events.",
    ),
    key(
        "debezium.source.time.precision.mode",
        Some("adaptive"),
        Value::OneOf(&["adaptive", "adaptive_time_microseconds", "connect"]),
        "How temporal values are represented.",
    ),
    key(
        "debezium.source.decimal.handling.mode",
        Some("precise"),
        Value::OneOf(&["precise", "double", "string"]),
        "How NUMERIC and DECIMAL values are represented.",
    ),
    key(
        "debezium.source.binary.handling.mode",
        Some("bytes"),
        Value::OneOf(&["bytes", "base64", "base64-url-safe", "hex"]),
        "How bytea values are represented: Connect bytes (base64 in JSON), or a string in \
         standard base64, URL-safe base64 or lower-case hex.",
    ),
    key(
        "debezium.source.hstore.handling.mode",
        Some("json"),
        Value::OneOf(&["json", "map"]),
        "How hstore values are represented: a JSON object's text (io.debezium.data.Json), or \
         a map of strings (a JSON object in events).",
    ),
    key(
        "debezium.source.interval.handling.mode",
        Some("numeric"),
        Value::OneOf(&["numeric", "string"]),
        "How intervals are represented: microseconds (io.debezium.time.MicroDuration, a year \
         counted as 365.25 days), or ISO 8601 text (io.debezium.time.Interval, \
         `P1Y2M3DT4H5M6.78S`, each field as PostgreSQL gives it).",
    ),
    key(
        "debezium.source.schema.name.adjustment.mode",
        Some("none"),
        Value::OneOf(&["none", "avro", "avro_unicode"]),
        "How the Connect schema names events carry (`<topic>.Key`, `.Value`, `.Envelope`) \
         are adjusted for Avro: kept (none), characters Avro refuses replaced with `_` (avro), \
         or with `_uXXXX` (avro_unicode, which also replaces `_`).",
    ),
    key(
        "debezium.source.field.name.adjustment.mode",
        Some("none"),
        Value::OneOf(&["none", "avro", "avro_unicode"]),
        "How column names become the fields of events: kept (none), characters Avro refuses \
         (all but letters, digits and `_`, and a leading digit) replaced with `_` (avro), or \
         with `_uXXXX` (avro_unicode, which also replaces `_`).",
    ),
    key(
        "debezium.source.include.unknown.datatypes",
        Some("false"),
        FLAG,
        "Whether columns of types Debezium has no representation for (geometric types but \
         point, pg_lsn, tsquery, the reg* types, the isn types, ...) are carried, as bytes, \
         rather than left out of events.",
    ),
    key(
        "debezium.source.unavailable.value.placeholder",
        Some("__debezium_unavailable_value"),
        TEXT,
        "What an event carries for a TOASTed value PostgreSQL did not send because the change \
         left it alone: this text in a string column (and a bytea column represented as a \
         string), its bytes in a bytea column represented as bytes.",
    ),
    key(
        "debezium.source.event.processing.failure.handling.mode",
        Some("fail"),
        Value::OneOf(&["fail", "warn", "skip", "ignore"]),
        "What to do with a change whose event cannot be written (a value no conversion \
         covers): `fail` stops capture at it, naming table, column, LSN and value; `warn` \
         leaves the event out with a warning; `skip` (or its old name `ignore`) leaves it out \
         with an info line. Left-out events are counted in \
         spillway_capture_events_skipped_total.",
    ),
    key(
        "debezium.source.skipped.operations",
        Some("t"),
        TEXT,
        "Operations not to emit, comma-separated among c, u, d, t, or `none`: \
         truncates are skipped by default, as in Debezium.",
    ),
    key(
        "debezium.source.slot.drop.on.stop",
        Some("false"),
        FLAG,
        "Whether capture drops its replication slot when it stops cleanly (SIGTERM, Ctrl-C), \
         as Debezium does; for tests and demos: the next start takes a new snapshot.",
    ),
    key(
        "debezium.format.key",
        Some("json"),
        Value::Json,
        "The format of event keys: `json`, the only one Spillway writes.",
    ),
    key(
        "debezium.format.value",
        Some("json"),
        Value::Json,
        "The format of event values: `json`, the only one Spillway writes.",
    ),
    key(
        "debezium.format.header",
        Some("json"),
        Value::Json,
        "The format of event headers: `json` (Spillway's sinks write no headers).",
    ),
    key(
        "debezium.format.key.schemas.enable",
        Some("true"),
        FLAG,
        "Whether an event's key carries its schema (`{\"schema\":...,\"payload\":...}`, \
         Debezium's JSON converter's default) or is the payload alone.",
    ),
    key(
        "debezium.format.value.schemas.enable",
        Some("true"),
        FLAG,
        "Whether an event's value carries its schema (`{\"schema\":...,\"payload\":...}`) \
         or is the payload alone (`{\"before\":...,\"after\":...,\"op\":...}`).",
    ),
    key(
        "debezium.transforms",
        None,
        TEXT,
        "The transforms (Debezium's single message transforms) every event goes through \
         between capture and the sink, comma-separated names, applied in order; each is \
         configured by debezium.transforms.<name>.* (docs/TRANSFORMS.md).",
    ),
    key(
        "debezium.predicates",
        None,
        TEXT,
        "The predicates transforms may name (debezium.transforms.<name>.predicate), \
         comma-separated; each is configured by debezium.predicates.<name>.*.",
    ),
    key(
        "debezium.sink.type",
        Some("kinesis"),
        Value::Sink(&["kinesis", "stdout"]),
        "Where captured events go: Kinesis, or standard output (one JSON event per line).",
    ),
    key(
        "debezium.sink.kinesis.region",
        None,
        TEXT,
        "The Kinesis region; default: the AWS chain (AWS_REGION, profile).",
    ),
    key(
        "debezium.sink.kinesis.endpoint",
        None,
        TEXT,
        "The Kinesis endpoint URL (an emulator); default: AWS_ENDPOINT_URL, else AWS.",
    ),
    key(
        "debezium.sink.kinesis.credentials.profile",
        None,
        TEXT,
        "The AWS profile to use.",
    ),
    key(
        "debezium.sink.kinesis.null.key",
        Some("default"),
        TEXT,
        "The partition key of events without a key.",
    ),
    key(
        "debezium.sink.kinesis.batch.size",
        Some("500"),
        NUMBER,
        "Records per PutRecords call, at most 500.",
    ),
    key(
        "debezium.sink.kinesis.default.retries",
        Some("5"),
        NUMBER,
        "Accepted for migration, no effect: Spillway retries a failed PutRecords (with backoff) \
         until Kinesis stores the records, acknowledging nothing to PostgreSQL meanwhile.",
    ),
];

/// The include and exclude lists that Debezium refuses together.
const EXCLUSIVE: &[(&str, &str)] = &[
    (
        "debezium.source.schema.include.list",
        "debezium.source.schema.exclude.list",
    ),
    (
        "debezium.source.table.include.list",
        "debezium.source.table.exclude.list",
    ),
    (
        "debezium.source.column.include.list",
        "debezium.source.column.exclude.list",
    ),
    (
        "debezium.source.message.prefix.include.list",
        "debezium.source.message.prefix.exclude.list",
    ),
];

/// Rules between keys: an include list and its exclude list are not both set.
pub(super) fn check_together(is_set: impl Fn(&str) -> bool) -> Vec<String> {
    EXCLUSIVE
        .iter()
        .filter(|(include, exclude)| is_set(include) && is_set(exclude))
        .map(|(include, exclude)| {
            format!("'{include}' and '{exclude}' are both set: Debezium accepts one or the other, so does Spillway")
        })
        .collect()
}
