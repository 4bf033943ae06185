//! What `spillway capture` reads from the configuration: Debezium's
//! PostgreSQL connector keys and Spillway's own `spillway.capture.*`.

use std::path::PathBuf;
use std::time::Duration;

use regex::{Regex, RegexBuilder};

use super::event::Schemas;
use super::failure::FailureHandling;
use super::naming::NameAdjustment;
use super::types::{
    BinaryHandling, DecimalHandling, HstoreHandling, IntervalHandling, Modes, TimePrecision,
};
use crate::config::{Config, ConfigError};

/// When to snapshot (`snapshot.mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotMode {
    /// Once, when the slot is new (Debezium's default).
    Initial,
    /// Never: stream from the slot's position.
    NoData,
    /// Snapshot, then stop without streaming.
    InitialOnly,
    /// At every start.
    Always,
    /// When no completed snapshot is recorded for the slot.
    WhenNeeded,
}

/// Which rows, tables and columns are captured.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    schema_include: Vec<Regex>,
    schema_exclude: Vec<Regex>,
    table_include: Vec<Regex>,
    table_exclude: Vec<Regex>,
    column_include: Vec<Regex>,
    column_exclude: Vec<Regex>,
    /// Capture's own state table (schema, name): never captured.
    own: (String, String),
}

impl Filters {
    /// Whether `schema.table` is captured.
    pub fn table(&self, schema: &str, table: &str) -> bool {
        let name = format!("{schema}.{table}");
        (schema, table) != (self.own.0.as_str(), self.own.1.as_str())
            && accepts(&self.schema_include, &self.schema_exclude, schema)
            && accepts(&self.table_include, &self.table_exclude, &name)
    }

    /// Where `schema.table` comes in the snapshot's order: the index of the
    /// first `table.include.list` pattern it matches (0 without a list),
    /// as Debezium orders its snapshot.
    pub fn include_rank(&self, schema: &str, table: &str) -> usize {
        let name = format!("{schema}.{table}");
        self.table_include
            .iter()
            .position(|r| r.is_match(&name))
            .unwrap_or(0)
    }

    /// Whether column `schema.table.column` is carried in events.
    pub fn column(&self, schema: &str, table: &str, column: &str) -> bool {
        let name = format!("{schema}.{table}.{column}");
        accepts(&self.column_include, &self.column_exclude, &name)
    }
}

/// Debezium's list semantics: an include list, when given, must match; an
/// exclude list must not. Each expression must match the whole name.
fn accepts(include: &[Regex], exclude: &[Regex], name: &str) -> bool {
    (include.is_empty() || include.iter().any(|r| r.is_match(name)))
        && !exclude.iter().any(|r| r.is_match(name))
}

/// How capture connects, what it captures and how it represents it.
#[derive(Debug, Clone)]
pub struct CaptureSettings {
    /// PostgreSQL's host.
    pub host: String,
    /// PostgreSQL's port.
    pub port: u16,
    /// The user.
    pub user: String,
    /// The password.
    pub password: String,
    /// The database.
    pub database: String,
    /// libpq's sslmode.
    pub sslmode: String,
    /// TLS files, as libpq's keywords: `sslrootcert` (the CA that signed the
    /// server's certificate, for verify-ca and verify-full), `sslcert` and
    /// `sslkey` (a client certificate), when set.
    pub tls_files: Vec<(&'static str, String)>,
    /// topic.prefix: events' `source.name` and the first part of stream names.
    pub prefix: String,
    /// The replication slot.
    pub slot: String,
    /// The publication.
    pub publication: String,
    /// publication.autocreate.mode.
    pub publication_autocreate: String,
    /// Tables and columns captured.
    pub filters: Filters,
    /// snapshot.mode.
    pub snapshot_mode: SnapshotMode,
    /// Whether deletes are followed by tombstones.
    pub tombstones: bool,
    /// Whether transaction metadata is written (`provide.transaction.metadata`).
    pub transaction_metadata: bool,
    /// Operation codes not emitted (`c`, `u`, `d`, `t`).
    pub skipped: Vec<char>,
    /// How values are represented.
    pub modes: Modes,
    /// What to do with an event that cannot be written
    /// (`event.processing.failure.handling.mode`).
    pub failure_handling: FailureHandling,
    /// Spillway 0.1's snapshot record, carried into the state table.
    pub state_file: PathBuf,
    /// The state table: schema and name (`spillway.capture.state.table`).
    pub state_table: (String, String),
    /// Connections reading the snapshot (`snapshot.max.threads`).
    pub snapshot_threads: usize,
    /// About how many rows make a snapshot chunk.
    pub snapshot_chunk_rows: u64,
    /// Most events handed to the sink at once.
    pub batch_size: usize,
    /// Longest an event waits for its batch.
    pub batch_window: Duration,
    /// How often snapshot progress is logged.
    pub progress_interval: Duration,
    /// How often, while idle, a logical message moves the slot forward.
    pub heartbeat_interval: Duration,
    /// Whether keys and values carry their schema (`debezium.format.*.schemas.enable`).
    pub schemas: Schemas,
    /// What events carry for an unchanged TOASTed value
    /// (`unavailable.value.placeholder`).
    pub unavailable_placeholder: String,
    /// How Connect schema names are adjusted (`schema.name.adjustment.mode`).
    pub schema_names: NameAdjustment,
    /// How column names become event fields (`field.name.adjustment.mode`).
    pub field_names: NameAdjustment,
    /// `message.key.columns`: for tables whose `schema.table` a regular
    /// expression matches (whole), the columns that make their key.
    pub key_columns: Vec<(Regex, Vec<String>)>,
    /// Whether partitioned tables' changes are published (and captured)
    /// under the root table rather than its partitions
    /// (`publish.via.partition.root`).
    pub publish_via_partition_root: bool,
    /// Prefixes of logical decoding messages to write as events
    /// (`message.prefix.include.list`; empty: all).
    pub message_include: Vec<Regex>,
    /// Prefixes of logical decoding messages never written (`message.prefix.exclude.list`).
    pub message_exclude: Vec<Regex>,
    /// How often Debezium heartbeat records are written (`heartbeat.interval.ms`; zero: never).
    pub heartbeat_records: Duration,
    /// The first part of the heartbeat topic's name (`topic.heartbeat.prefix`).
    pub heartbeat_topic_prefix: String,
    /// A statement run at each heartbeat record (`heartbeat.action.query`).
    pub heartbeat_action_query: Option<String>,
    /// Whether the slot is dropped when capture stops cleanly (`slot.drop.on.stop`).
    pub drop_slot_on_stop: bool,
    /// The transforms between capture and the sink (`debezium.transforms`).
    pub transforms: Vec<super::transform::Step>,
}

impl CaptureSettings {
    /// Reads the capture settings; a missing required key is an error naming it.
    pub fn from_config(config: &Config) -> Result<Self, ConfigError> {
        let required = |key: &str, hint: &str| {
            config
                .get(key)
                .map(str::to_owned)
                .ok_or_else(|| ConfigError::Missing {
                    key: key.to_owned(),
                    hint: hint.to_owned(),
                })
        };
        let text = |key: &str| config.get(key).unwrap_or_default().trim().to_owned();
        let regexes = |key: &str| -> Vec<Regex> {
            config
                .list(key)
                .into_iter()
                // Validated when the configuration was loaded.
                .filter_map(|r| {
                    RegexBuilder::new(&format!("^(?:{r})$"))
                        .case_insensitive(true)
                        .build()
                        .ok()
                })
                .collect()
        };
        let number = |key: &str| config.get_u64(key).map(Option::unwrap_or_default);
        let port = config
            .get_u64("debezium.source.database.port")?
            .unwrap_or(5432);
        let skipped = text("debezium.source.skipped.operations");
        let skipped = match skipped.as_str() {
            "none" | "" => Vec::new(),
            list => list
                .split(',')
                .map(|op| match op.trim() {
                    op @ ("c" | "u" | "d" | "t") => Ok(op.chars().next().unwrap_or('t')),
                    other => Err(ConfigError::Invalid {
                        key: "debezium.source.skipped.operations".to_owned(),
                        value: other.to_owned(),
                        reason: "expected c, u, d, t (comma-separated) or none".to_owned(),
                    }),
                })
                .collect::<Result<_, _>>()?,
        };
        let state_table = match text("spillway.capture.state.table").split_once('.') {
            Some((schema, name)) if !schema.is_empty() && !name.is_empty() => {
                (schema.to_owned(), name.to_owned())
            }
            _ => {
                return Err(ConfigError::Invalid {
                    key: "spillway.capture.state.table".to_owned(),
                    value: text("spillway.capture.state.table"),
                    reason: "expected schema.table".to_owned(),
                });
            }
        };
        Ok(CaptureSettings {
            host: required("debezium.source.database.hostname", "PostgreSQL's host")?,
            port: u16::try_from(port).map_err(|_| ConfigError::Invalid {
                key: "debezium.source.database.port".to_owned(),
                value: port.to_string(),
                reason: "expected a port number".to_owned(),
            })?,
            user: required("debezium.source.database.user", "the PostgreSQL user")?,
            password: text("debezium.source.database.password"),
            database: required("debezium.source.database.dbname", "the database to capture")?,
            sslmode: text("debezium.source.database.sslmode").to_ascii_lowercase(),
            tls_files: ["sslrootcert", "sslcert", "sslkey", "sslpassword"]
                .into_iter()
                .filter_map(|keyword| {
                    let path = text(&format!("debezium.source.database.{keyword}"));
                    (!path.is_empty()).then_some((keyword, path))
                })
                .collect(),
            prefix: required(
                "debezium.source.topic.prefix",
                "the logical server name, first part of stream names",
            )?,
            slot: text("debezium.source.slot.name"),
            publication: text("debezium.source.publication.name"),
            publication_autocreate: text("debezium.source.publication.autocreate.mode")
                .to_ascii_lowercase(),
            filters: Filters {
                schema_include: regexes("debezium.source.schema.include.list"),
                schema_exclude: regexes("debezium.source.schema.exclude.list"),
                table_include: regexes("debezium.source.table.include.list"),
                table_exclude: regexes("debezium.source.table.exclude.list"),
                column_include: regexes("debezium.source.column.include.list"),
                column_exclude: regexes("debezium.source.column.exclude.list"),
                own: state_table.clone(),
            },
            snapshot_mode: match text("debezium.source.snapshot.mode")
                .to_ascii_lowercase()
                .as_str()
            {
                "no_data" => SnapshotMode::NoData,
                "initial_only" => SnapshotMode::InitialOnly,
                "always" => SnapshotMode::Always,
                "when_needed" => SnapshotMode::WhenNeeded,
                _ => SnapshotMode::Initial,
            },
            tombstones: text("debezium.source.tombstones.on.delete").eq_ignore_ascii_case("true"),
            transaction_metadata: text("debezium.source.provide.transaction.metadata")
                .eq_ignore_ascii_case("true"),
            skipped,
            modes: Modes {
                time: match text("debezium.source.time.precision.mode")
                    .to_ascii_lowercase()
                    .as_str()
                {
                    "connect" => TimePrecision::Connect,
                    "adaptive_time_microseconds" => TimePrecision::AdaptiveTimeMicroseconds,
                    _ => TimePrecision::Adaptive,
                },
                decimal: match text("debezium.source.decimal.handling.mode")
                    .to_ascii_lowercase()
                    .as_str()
                {
                    "double" => DecimalHandling::Double,
                    "string" => DecimalHandling::String,
                    _ => DecimalHandling::Precise,
                },
                binary: match text("debezium.source.binary.handling.mode")
                    .to_ascii_lowercase()
                    .as_str()
                {
                    "base64" => BinaryHandling::Base64,
                    "base64-url-safe" => BinaryHandling::Base64UrlSafe,
                    "hex" => BinaryHandling::Hex,
                    _ => BinaryHandling::Bytes,
                },
                hstore: match text("debezium.source.hstore.handling.mode")
                    .to_ascii_lowercase()
                    .as_str()
                {
                    "map" => HstoreHandling::Map,
                    _ => HstoreHandling::Json,
                },
                interval: match text("debezium.source.interval.handling.mode")
                    .to_ascii_lowercase()
                    .as_str()
                {
                    "string" => IntervalHandling::String,
                    _ => IntervalHandling::Numeric,
                },
                include_unknown: text("debezium.source.include.unknown.datatypes")
                    .eq_ignore_ascii_case("true"),
                // Learned from the server when capture connects.
                money_separator: '.',
            },
            failure_handling: match text("debezium.source.event.processing.failure.handling.mode")
                .to_ascii_lowercase()
                .as_str()
            {
                "warn" => FailureHandling::Warn,
                "skip" | "ignore" => FailureHandling::Skip,
                _ => FailureHandling::Fail,
            },
            state_file: text("spillway.capture.state.file").into(),
            state_table,
            snapshot_threads: config
                .get_u64_within("debezium.source.snapshot.max.threads", 1, 64)?
                .unwrap_or(1) as usize,
            snapshot_chunk_rows: config
                .get_u64_within("spillway.capture.snapshot.chunk.size", 1, 10_000_000)?
                .unwrap_or(5_000),
            batch_size: number("spillway.capture.batch.size")?.max(1) as usize,
            batch_window: Duration::from_millis(number("spillway.capture.batch.window.ms")?),
            progress_interval: Duration::from_millis(
                number("spillway.capture.progress.interval.ms")?.max(100),
            ),
            heartbeat_interval: Duration::from_millis(
                number("spillway.capture.heartbeat.interval.ms")?.max(100),
            ),
            schemas: Schemas::from_config(config)?,
            unavailable_placeholder: text("debezium.source.unavailable.value.placeholder"),
            schema_names: NameAdjustment::parse(&text(
                "debezium.source.schema.name.adjustment.mode",
            ))
            .unwrap_or_default(),
            field_names: NameAdjustment::parse(&text("debezium.source.field.name.adjustment.mode"))
                .unwrap_or_default(),
            key_columns: key_columns(&text("debezium.source.message.key.columns")).map_err(
                |reason| ConfigError::Invalid {
                    key: "debezium.source.message.key.columns".to_owned(),
                    value: text("debezium.source.message.key.columns"),
                    reason,
                },
            )?,
            publish_via_partition_root: text("debezium.source.publish.via.partition.root")
                .eq_ignore_ascii_case("true"),
            message_include: regexes("debezium.source.message.prefix.include.list"),
            message_exclude: regexes("debezium.source.message.prefix.exclude.list"),
            heartbeat_records: Duration::from_millis(number(
                "debezium.source.heartbeat.interval.ms",
            )?),
            heartbeat_topic_prefix: text("debezium.source.topic.heartbeat.prefix"),
            heartbeat_action_query: config
                .get("debezium.source.heartbeat.action.query")
                .map(str::trim)
                .filter(|q| !q.is_empty())
                .map(str::to_owned),
            drop_slot_on_stop: text("debezium.source.slot.drop.on.stop")
                .eq_ignore_ascii_case("true"),
            transforms: super::transform::steps(config)?,
        })
    }

    /// The connection string, keyword/value form; `replication` adds
    /// `replication=database` for the replication connection.
    pub fn conninfo(&self, replication: bool) -> String {
        // pg_walstream's own parser (its default, native backend) reads a
        // quoted value up to the next lone `'`, folds `''` to `'` and takes
        // backslashes literally, unlike libpq: quote for that parser.
        let quote = |v: &str| format!("'{}'", v.replace('\'', "''"));
        let mut info = format!(
            "host={} port={} user={} password={} dbname={} sslmode={} connect_timeout=10",
            quote(&self.host),
            self.port,
            quote(&self.user),
            quote(&self.password),
            quote(&self.database),
            quote(&self.sslmode),
        );
        for (keyword, path) in &self.tls_files {
            info.push_str(&format!(" {keyword}={}", quote(path)));
        }
        if replication {
            info.push_str(" replication=database");
        }
        info
    }
}

impl CaptureSettings {
    /// The key columns `message.key.columns` gives table `schema.table`, if
    /// any (the first matching expression's).
    pub fn message_key_columns(&self, schema: &str, table: &str) -> Option<&[String]> {
        let name = format!("{schema}.{table}");
        self.key_columns
            .iter()
            .find(|(table, _)| table.is_match(&name))
            .map(|(_, columns)| columns.as_slice())
    }
}

/// Parses `message.key.columns`: `<table>:<column>,<column>;...`, each table a
/// regular expression matching the whole `schema.table` (Debezium's format,
/// `RelationalDatabaseConnectorConfig.MSG_KEY_COLUMNS`). Errors say which
/// part is wrong.
fn key_columns(text: &str) -> Result<Vec<(Regex, Vec<String>)>, String> {
    text.split(';')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (table, columns) = part
                .rsplit_once(':')
                .ok_or_else(|| format!("'{part}' is not <table>:<column>,<column>"))?;
            let table = RegexBuilder::new(&format!("^(?:{})$", table.trim()))
                .build()
                .map_err(|e| format!("'{table}' is not a regular expression: {e}"))?;
            let columns: Vec<String> = columns
                .split(',')
                .map(|c| c.trim().to_owned())
                .filter(|c| !c.is_empty())
                .collect();
            if columns.is_empty() {
                return Err(format!("'{part}' names no column"));
            }
            Ok((table, columns))
        })
        .collect()
}

/// The topics capture writes that are no table's, as the configuration
/// sets them up: `<topic.prefix>.transaction` with
/// `provide.transaction.metadata`, `<topic.heartbeat.prefix>.<topic.prefix>`
/// with `heartbeat.interval.ms` above zero, and `<topic.prefix>.message` with
/// a `message.prefix.include.list` (without one, messages are written only
/// if the database emits some: see docs/CONFIGURATION.md). With the Kinesis sink each is a
/// stream that must exist (`spillway check` says so, `spillway provision`
/// creates them). Reads only those keys, so it works on any configuration.
pub fn other_topics(config: &Config) -> Vec<String> {
    let Some(prefix) = config
        .get("debezium.source.topic.prefix")
        .map(str::trim)
        .filter(|p| !p.is_empty())
    else {
        return Vec::new();
    };
    let mut topics = Vec::new();
    if config
        .get("debezium.source.provide.transaction.metadata")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    {
        topics.push(format!("{prefix}.transaction"));
    }
    let heartbeats = config
        .get_u64("debezium.source.heartbeat.interval.ms")
        .ok()
        .flatten()
        .is_some_and(|ms| ms > 0);
    if config
        .get("debezium.source.message.prefix.include.list")
        .is_some()
    {
        topics.push(format!("{prefix}.message"));
    }
    if heartbeats {
        let beats = config
            .get("debezium.source.topic.heartbeat.prefix")
            .unwrap_or("__debezium-heartbeat");
        topics.push(format!("{beats}.{prefix}"));
    }
    topics
}
