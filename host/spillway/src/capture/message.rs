//! Logical decoding messages (`pg_logical_emit_message`, used for outbox
//! patterns and audit markers) as Debezium writes them
//! (`LogicalDecodingMessageMonitor`): an `op: "m"` event on
//! `<topic.prefix>.message`, keyed by the message's prefix, its content in
//! `binary.handling.mode`'s representation. Transactional messages come with
//! their transaction (its id, its commit time, and with transaction metadata
//! its `transaction` block, counted in its END event); non-transactional
//! ones at once. `message.prefix.include.list` / `exclude.list` choose the prefixes
//! (regular expressions matching the whole prefix). Spillway's own heartbeat
//! messages ([`HEARTBEAT_PREFIX`]) are never events.

use std::sync::Arc;

use regex::Regex;

use super::catalog::HEARTBEAT_PREFIX;
use super::event::{self, Encoder, Operation, Position, Record, Schemas};
use super::table::{SOURCE_SCHEMA, TRANSACTION_SCHEMA, Table};
use super::types::{BinaryHandling, write_binary, write_str};

const KEY_SCHEMA: &str = r#"{"type":"struct","fields":[{"type":"string","optional":true,"field":"prefix"}],"optional":false,"name":"io.debezium.connector.postgresql.MessageKey","version":1}"#;

/// Which prefixes become events, and how they are written.
pub struct Messages {
    topic: Arc<Table>,
    include: Vec<Regex>,
    exclude: Vec<Regex>,
    binary: BinaryHandling,
    schemas: Schemas,
    value_schema: String,
}

impl Messages {
    /// Messages of `<server>.message`, filtered by `include` and `exclude`.
    pub fn new(
        server: &str,
        include: Vec<Regex>,
        exclude: Vec<Regex>,
        binary: BinaryHandling,
        schemas: Schemas,
    ) -> Self {
        let content = match binary {
            BinaryHandling::Bytes => "bytes",
            _ => "string",
        };
        let value_schema = format!(
            r#"{{"type":"struct","fields":[{{"type":"string","optional":false,"field":"op"}},{{"type":"int64","optional":true,"field":"ts_ms"}},{SOURCE_SCHEMA},{TRANSACTION_SCHEMA},{{"type":"struct","fields":[{{"type":"string","optional":true,"field":"prefix"}},{{"type":"{content}","optional":true,"field":"content"}}],"optional":false,"name":"io.debezium.connector.postgresql.Message","version":1,"field":"message"}}],"optional":false,"name":"io.debezium.connector.postgresql.MessageValue","version":1}}"#
        );
        Messages {
            topic: Arc::new(Table::topic(&format!("{server}.message"))),
            include,
            exclude,
            binary,
            schemas,
            value_schema,
        }
    }

    /// Whether a message with `prefix` becomes an event.
    pub fn accepts(&self, prefix: &str) -> bool {
        prefix != HEARTBEAT_PREFIX
            && (self.include.is_empty() || self.include.iter().any(|r| r.is_match(prefix)))
            && !self.exclude.iter().any(|r| r.is_match(prefix))
    }

    /// The event of a message with `prefix` and `content` at `position`.
    pub fn event(
        &self,
        encoder: &Encoder,
        prefix: &str,
        content: &[u8],
        position: &Position,
    ) -> Record {
        let mut key = Vec::with_capacity(KEY_SCHEMA.len() + prefix.len() + 32);
        event::open(self.schemas.key, KEY_SCHEMA, &mut key);
        key.extend_from_slice(br#"{"prefix":"#);
        write_str(prefix, &mut key);
        key.push(b'}');
        event::close(self.schemas.key, &mut key);

        let mut value = Vec::with_capacity(self.value_schema.len() + content.len() * 2 + 512);
        event::open(self.schemas.value, &self.value_schema, &mut value);
        let now_ms = event::now_ns() / 1_000_000;
        value.extend_from_slice(format!(r#"{{"op":"m","ts_ms":{now_ms},"#).as_bytes());
        encoder.write_source("", "", position, &mut value);
        value.extend_from_slice(br#","transaction":"#);
        match &position.transaction {
            Some(block) => block.write(&mut value),
            None => value.extend_from_slice(b"null"),
        }
        value.extend_from_slice(br#","message":{"prefix":"#);
        write_str(prefix, &mut value);
        value.extend_from_slice(br#","content":"#);
        write_binary(self.binary, content, &mut value);
        value.extend_from_slice(b"}}");
        event::close(self.schemas.value, &mut value);
        Record::new(
            self.topic.clone(),
            Some(key),
            Some(value),
            Operation::Message,
            Some(position.lsn),
        )
    }
}
