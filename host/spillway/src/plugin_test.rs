//! `spillway plugin test`: runs one plugin on an input file and prints what it
//! returned, so a plugin author can try a plugin without a database or AWS.
//!
//! Inputs are JSON, one object or an array, with the WIT records' field names:
//! - mapper: `{"server", "database", "schema", "name", "destination"?}`
//!   (the destination defaults to Debezium's topic of the table);
//! - transformer: `{"stream", "data", "shard-id"?, "partition-key"?,
//!   "sequence-number"?, "arrival-ms"?}` where `data` is the change event (a JSON
//!   value, or a string taken as is);
//! - consumer: `{"body", "id"?, "group-id"?, "receive-count"?, "attributes"?}`
//!   where `body` is a JSON value or a string;
//! - transform: `{"destination", "key"?, "value"?, "operation", "schema"?,
//!   "table"?, "lsn"?, "headers"?}` where `key` and `value` are JSON values
//!   (or strings taken as is) and `operation` one of the WIT enum's cases
//!   (`create`, `tombstone`, ...); it prints, for each record, the records
//!   it became.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use spillway_plugin::consumer::{Consumer, Message, Outcome};
use spillway_plugin::mapper::{Mapper, Table};
use spillway_plugin::transform::{ChangeRecord, Operation, Transform};
use spillway_plugin::transformer::{BusEvent, StreamRecord, Transformer};
use spillway_plugin::{PluginSpec, Runtime};

use crate::plugins::Kind;

/// Runs `spec`, a plugin of `kind`, on every input in `input`, writing results to `out`.
pub fn run(
    runtime: &Runtime,
    kind: Kind,
    spec: PluginSpec,
    input: &Path,
    out: &mut impl Write,
) -> Result<()> {
    let text = std::fs::read_to_string(input)
        .with_context(|| format!("cannot read input file '{}'", input.display()))?;
    match kind {
        Kind::Mapper => {
            let mut worker = Mapper::load(runtime, spec)?.worker();
            for table in parse::<TableInput>(&text, input)? {
                let destination = table.destination.unwrap_or_else(|| {
                    spillway_mapper::stream_name(&table.server, &table.schema, &table.name)
                });
                let table = Table {
                    server: table.server,
                    database: table.database,
                    schema: table.schema,
                    name: table.name,
                    destination,
                };
                let stream = worker.stream_name(&table)?;
                writeln!(out, "{}.{} -> {stream}", table.schema, table.name)?;
            }
        }
        Kind::Transformer => {
            let mut worker = Transformer::load(runtime, spec)?.worker();
            let batch: Vec<StreamRecord> = parse::<RecordInput>(&text, input)?
                .into_iter()
                .enumerate()
                .map(|(i, r)| r.into_record(i))
                .collect();
            let events = worker.transform(&batch)?;
            let entries: Vec<serde_json::Value> = events.iter().map(put_events_entry).collect();
            writeln!(out, "{}", serde_json::to_string_pretty(&entries)?)?;
        }
        Kind::Transform => {
            let mut worker = Transform::load(runtime, spec)?.worker();
            let batch = parse::<ChangeInput>(&text, input)?
                .into_iter()
                .map(ChangeInput::into_record)
                .collect::<Result<Vec<_>>>()?;
            let made = worker.apply(&batch)?;
            let shown: Vec<Vec<serde_json::Value>> = made
                .iter()
                .map(|records| records.iter().map(change_json).collect())
                .collect();
            writeln!(out, "{}", serde_json::to_string_pretty(&shown)?)?;
        }
        Kind::Consumer => {
            let mut worker = Consumer::load(runtime, spec)?.worker();
            for (i, message) in parse::<MessageInput>(&text, input)?.into_iter().enumerate() {
                let message = message.into_message(i);
                let verdict = match worker.handle(&message)? {
                    Outcome::Ack => "ack".to_owned(),
                    Outcome::RetryAfter(seconds) => format!("retry-after {seconds}"),
                    Outcome::Reject(reason) => format!("reject: {reason}"),
                };
                writeln!(out, "message '{}': {verdict}", message.id)?;
            }
        }
    }
    Ok(())
}

/// One object or an array of them.
#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany<T> {
    Many(Vec<T>),
    One(T),
}

fn parse<T: DeserializeOwned>(text: &str, input: &Path) -> Result<Vec<T>> {
    let parsed: OneOrMany<T> = serde_json::from_str(text).with_context(|| {
        format!(
            "input file '{}' is not a valid input (see `spillway plugin test --help`)",
            input.display()
        )
    })?;
    Ok(match parsed {
        OneOrMany::Many(items) => items,
        OneOrMany::One(item) => vec![item],
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct TableInput {
    server: String,
    database: String,
    schema: String,
    name: String,
    /// Debezium's topic of the table unless given.
    destination: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RecordInput {
    stream: String,
    data: serde_json::Value,
    shard_id: Option<String>,
    partition_key: Option<String>,
    sequence_number: Option<String>,
    arrival_ms: Option<i64>,
}

impl RecordInput {
    fn into_record(self, index: usize) -> StreamRecord {
        StreamRecord {
            stream_name: self.stream,
            shard_id: self
                .shard_id
                .unwrap_or_else(|| "shardId-000000000000".to_owned()),
            partition_key: self.partition_key.unwrap_or_default(),
            sequence_number: self
                .sequence_number
                .unwrap_or_else(|| (index + 1).to_string()),
            arrival_ms: self.arrival_ms.unwrap_or(0),
            data: text_of(self.data).into_bytes(),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct ChangeInput {
    destination: String,
    key: Option<serde_json::Value>,
    value: Option<serde_json::Value>,
    operation: String,
    schema: Option<String>,
    table: Option<String>,
    lsn: Option<u64>,
    #[serde(default)]
    headers: Vec<(String, String)>,
}

/// The WIT enum's cases, by name.
const OPERATIONS: [(&str, Operation); 9] = [
    ("read", Operation::Read),
    ("create", Operation::Create),
    ("update", Operation::Update),
    ("delete", Operation::Delete),
    ("truncate", Operation::Truncate),
    ("tombstone", Operation::Tombstone),
    ("message", Operation::Message),
    ("transaction", Operation::Transaction),
    ("heartbeat", Operation::Heartbeat),
];

impl ChangeInput {
    fn into_record(self) -> Result<ChangeRecord> {
        let operation = OPERATIONS
            .iter()
            .find(|(name, _)| *name == self.operation)
            .map(|(_, op)| *op)
            .with_context(|| {
                let names: Vec<&str> = OPERATIONS.iter().map(|(n, _)| *n).collect();
                format!(
                    "operation '{}' is none of {}",
                    self.operation,
                    names.join(", ")
                )
            })?;
        Ok(ChangeRecord {
            destination: self.destination,
            key: self.key.filter(|k| !k.is_null()).map(text_of),
            value: self.value.filter(|v| !v.is_null()).map(text_of),
            headers: self.headers,
            operation,
            schema: self.schema.unwrap_or_default(),
            table: self.table.unwrap_or_default(),
            lsn: self.lsn,
        })
    }
}

/// A record a transform made, with its key and value as JSON where they are.
fn change_json(record: &ChangeRecord) -> serde_json::Value {
    let json = |text: &Option<String>| {
        text.as_deref().map_or(serde_json::Value::Null, |t| {
            serde_json::from_str(t).unwrap_or_else(|_| serde_json::Value::from(t))
        })
    };
    let operation = OPERATIONS
        .iter()
        .find(|(_, op)| *op == record.operation)
        .map_or("", |(name, _)| *name);
    serde_json::json!({
        "destination": record.destination,
        "key": json(&record.key),
        "value": json(&record.value),
        "headers": record.headers,
        "operation": operation,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct MessageInput {
    body: serde_json::Value,
    id: Option<String>,
    group_id: Option<String>,
    receive_count: Option<u32>,
    #[serde(default)]
    attributes: BTreeMap<String, String>,
}

impl MessageInput {
    fn into_message(self, index: usize) -> Message {
        Message {
            id: self
                .id
                .unwrap_or_else(|| format!("test-message-{}", index + 1)),
            body: text_of(self.body),
            group_id: self.group_id,
            receive_count: self.receive_count.unwrap_or(1),
            attributes: self.attributes.into_iter().collect(),
        }
    }
}

/// A string as is; any other JSON value as JSON text.
fn text_of(value: serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text) => text,
        other => other.to_string(),
    }
}

/// An event as a PutEvents request entry, with AWS's field names.
fn put_events_entry(event: &BusEvent) -> serde_json::Value {
    let mut entry = serde_json::json!({
        "Source": event.source,
        "DetailType": event.detail_type,
        "Detail": event.detail,
        "EventBusName": event.bus_name,
        "Resources": event.resources,
    });
    if let Some(time) = &event.time {
        entry["Time"] = time.clone().into();
    }
    entry
}
