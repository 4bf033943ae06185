//! Spillway's built-in capture-side transforms, one WebAssembly component
//! that becomes the Debezium or Kafka transform its `type` setting names
//! (`debezium.transforms.<name>.type`), configured by that transform's
//! other settings, with Debezium's names and defaults:
//!
//! - [`unwrap`]: the transform `io.debezium.transforms.ExtractNewRecordState`;
//! - [`router`]: the transforms `io.debezium.transforms.ByLogicalTableRouter` and Kafka's
//!   `org.apache.kafka.connect.transforms.RegexRouter`;
//! - [`outbox`]: the transform `io.debezium.transforms.outbox.EventRouter`.
//!
//! [`json`] reads Debezium's JSON without re-encoding what a transform
//! leaves alone; [`json_schema`] infers a Connect schema from JSON text (the
//! outbox's `table.expand.json.payload`); [`java_regex`] turns Java's replacement strings into the
//! `regex` crate's. The logic is plain Rust, linked natively for tests; the
//! `component` module is the WIT glue.

pub mod java_regex;
pub mod json;
pub mod json_schema;
pub mod outbox;
pub mod router;
pub mod unwrap;

/// Something a transform did that Debezium logs: an update an outbox
/// ignores, a payload it could not expand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// Logged as an error (else as a warning).
    pub error: bool,
    /// What happened.
    pub message: String,
}

/// What a record is about (the WIT `operation`, in its order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Operation {
    /// A snapshot read.
    Read,
    /// An insert.
    Create,
    /// An update.
    Update,
    /// A delete.
    Delete,
    /// A truncate.
    Truncate,
    /// A tombstone (no value).
    Tombstone,
    /// A logical decoding message.
    Message,
    /// A transaction's BEGIN or END.
    Transaction,
    /// A heartbeat.
    Heartbeat,
}

impl Operation {
    /// Every operation, in the WIT enum's order.
    pub const ALL: [Operation; 9] = [
        Self::Read,
        Self::Create,
        Self::Update,
        Self::Delete,
        Self::Truncate,
        Self::Tombstone,
        Self::Message,
        Self::Transaction,
        Self::Heartbeat,
    ];

    /// Whether the record's value is a change event envelope
    /// (`before`/`after`/`source`/`op`), what Debezium's transforms change.
    pub fn is_change(self) -> bool {
        matches!(
            self,
            Self::Read | Self::Create | Self::Update | Self::Delete | Self::Truncate
        )
    }
}

/// One record (the WIT `change-record`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Debezium's topic.
    pub destination: String,
    /// The key as JSON text.
    pub key: Option<String>,
    /// The value as JSON text; `None` for a tombstone.
    pub value: Option<String>,
    /// Headers: name and value as JSON text.
    pub headers: Vec<(String, String)>,
    /// What the record is about.
    pub operation: Operation,
    /// The source table's schema (empty when none).
    pub schema: String,
    /// The source table's name (empty when none).
    pub table: String,
    /// The record's LSN.
    pub lsn: Option<u64>,
}

/// A transform's settings: `debezium.transforms.<name>.<key>`.
pub trait Settings {
    /// The setting `key`, if set.
    fn get(&self, key: &str) -> Option<String>;

    /// A boolean setting (`true`/`false`, any case), `default` when unset.
    ///
    /// # Errors
    /// When the value is neither.
    fn flag(&self, key: &str, default: bool) -> Result<bool, String> {
        match self.get(key).as_deref().map(str::trim) {
            None | Some("") => Ok(default),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
            Some(v) => Err(format!("{key}={v}: expected true or false")),
        }
    }

    /// A setting that must be there.
    ///
    /// # Errors
    /// When it is not set, naming it.
    fn required(&self, key: &str) -> Result<String, String> {
        self.get(key)
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| format!("{key} is required"))
    }
}

impl Settings for std::collections::BTreeMap<String, String> {
    fn get(&self, key: &str) -> Option<String> {
        std::collections::BTreeMap::get(self, key).cloned()
    }
}

/// A configured transform.
pub enum Transform {
    /// ExtractNewRecordState.
    Unwrap(unwrap::Unwrap),
    /// ByLogicalTableRouter or RegexRouter.
    Router(router::Router),
    /// The outbox EventRouter.
    Outbox(outbox::EventRouter),
}

/// The `type` values this component implements.
pub const TYPES: &[&str] = &[unwrap::TYPE, router::LOGICAL_TABLE_TYPE, router::REGEX_TYPE];

impl Transform {
    /// What happened since the last call that Debezium would have logged
    /// (the host logs it after each batch).
    pub fn take_notices(&self) -> Vec<Notice> {
        match self {
            Self::Outbox(t) => t.take_notices(),
            Self::Unwrap(_) | Self::Router(_) => Vec::new(),
        }
    }

    /// What the configuration does not do that its author may expect
    /// (logged once when the transform starts).
    pub fn warnings(&self) -> &[String] {
        match self {
            Self::Unwrap(t) => &t.warnings,
            Self::Router(_) => &[],
            Self::Outbox(t) => &t.warnings,
        }
    }

    /// The transform `settings` describe.
    ///
    /// # Errors
    /// An unknown `type` or a bad option, saying which and what is allowed.
    pub fn configure(settings: &dyn Settings) -> Result<Self, String> {
        let kind = settings.required("type")?;
        match kind.trim() {
            unwrap::TYPE => unwrap::Unwrap::configure(settings).map(Self::Unwrap),
            router::LOGICAL_TABLE_TYPE => router::Router::logical_table(settings).map(Self::Router),
            router::REGEX_TYPE => router::Router::regex(settings).map(Self::Router),
            outbox::TYPE => outbox::EventRouter::configure(settings).map(Self::Outbox),
            other => Err(format!(
                "type={other} is not a built-in transform (built in: {}); a transform of \
                 your own is a plugin: spillway.transforms.<name>.plugin=FILE.wasm",
                TYPES.join(", ")
            )),
        }
    }

    /// The records `record` becomes.
    ///
    /// # Errors
    /// A record the transform cannot read (not Debezium's JSON).
    pub fn apply(&self, record: Record) -> Result<Vec<Record>, String> {
        match self {
            Self::Unwrap(t) => t.apply(record),
            Self::Router(t) => t.apply(record).map(|r| vec![r]),
            Self::Outbox(t) => t.apply(record),
        }
    }
}

#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code, missing_docs, reason = "code generated by wit-bindgen")]
mod component {
    wit_bindgen::generate!({ world: "transform-plugin", path: "../../wit" });

    use std::sync::OnceLock;

    use exports::spillway::plugin::transform::{ChangeRecord, Guest, Operation};
    use spillway::plugin::host;

    struct HostSettings;

    impl super::Settings for HostSettings {
        fn get(&self, key: &str) -> Option<String> {
            host::config(key)
        }
    }

    /// Configured at the first call (an instance serves one transform).
    static TRANSFORM: OnceLock<Result<super::Transform, String>> = OnceLock::new();

    /// The WIT enum's cases, in the order of [`super::Operation::ALL`].
    const OPERATIONS: [Operation; 9] = [
        Operation::Read,
        Operation::Create,
        Operation::Update,
        Operation::Delete,
        Operation::Truncate,
        Operation::Tombstone,
        Operation::Message,
        Operation::Transaction,
        Operation::Heartbeat,
    ];

    struct Builtin;

    impl Guest for Builtin {
        fn apply(batch: Vec<ChangeRecord>) -> Result<Vec<Vec<ChangeRecord>>, String> {
            let transform = TRANSFORM
                .get_or_init(|| {
                    let transform = super::Transform::configure(&HostSettings)?;
                    for warning in transform.warnings() {
                        host::log(host::Level::Warn, warning);
                    }
                    Ok(transform)
                })
                .as_ref()
                .map_err(Clone::clone)?;
            let out = batch
                .into_iter()
                .map(|r| {
                    let record = super::Record {
                        destination: r.destination,
                        key: r.key,
                        value: r.value,
                        headers: r.headers,
                        operation: super::Operation::ALL[r.operation as usize],
                        schema: r.schema,
                        table: r.table,
                        lsn: r.lsn,
                    };
                    let out = transform.apply(record)?;
                    Ok(out
                        .into_iter()
                        .map(|r| ChangeRecord {
                            destination: r.destination,
                            key: r.key,
                            value: r.value,
                            headers: r.headers,
                            operation: OPERATIONS[r.operation as usize],
                            schema: r.schema,
                            table: r.table,
                            lsn: r.lsn,
                        })
                        .collect())
                })
                .collect();
            for notice in transform.take_notices() {
                let level = if notice.error {
                    host::Level::Error
                } else {
                    host::Level::Warn
                };
                host::log(level, &notice.message);
            }
            out
        }
    }

    export!(Builtin);
}
