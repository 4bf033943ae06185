//! Transaction metadata (`provide.transaction.metadata=true`), as Debezium
//! writes it: a BEGIN event before a transaction's first captured change, an
//! END event after its last, both on the topic `<topic.prefix>.transaction`,
//! and a `transaction` block in every change event (`id`, `total_order`,
//! `data_collection_order`). Transactions without a captured change have
//! none. Debezium names a transaction `<txId>:<lsn>` with the LSN at hand
//! (the first change's for BEGIN, each change's for the block, the commit's
//! for END); Spillway does the same.

use std::io::Write as _;
use std::sync::Arc;

use super::event::{self, Operation, Record, Schemas};
use super::table::Table;
use super::types::write_str;

const KEY_SCHEMA: &str = r#"{"type":"struct","fields":[{"type":"string","optional":false,"field":"id"}],"optional":false,"name":"io.debezium.connector.common.TransactionMetadataKey","version":1}"#;

const VALUE_SCHEMA: &str = r#"{"type":"struct","fields":[{"type":"string","optional":false,"field":"status"},{"type":"string","optional":false,"field":"id"},{"type":"int64","optional":true,"field":"event_count"},{"type":"array","items":{"type":"struct","fields":[{"type":"string","optional":false,"field":"data_collection"},{"type":"int64","optional":false,"field":"event_count"}],"optional":true,"name":"event.collection","version":1},"optional":true,"field":"data_collections"},{"type":"int64","optional":false,"field":"ts_ms"}],"optional":false,"name":"io.debezium.connector.common.TransactionMetadataValue","version":1}"#;

/// A change event's place in its transaction.
#[derive(Debug, Clone, Copy)]
pub struct Block {
    /// The transaction id.
    pub xid: u32,
    /// The change's LSN.
    pub lsn: u64,
    /// Its position among the transaction's events, from 1.
    pub total_order: u64,
    /// Its position among the transaction's events of its table, from 1.
    pub data_collection_order: u64,
}

impl Block {
    /// Writes the `transaction` block's JSON.
    pub fn write(&self, out: &mut Vec<u8>) {
        let _ = write!(
            out,
            r#"{{"id":"{}:{}","total_order":{},"data_collection_order":{}}}"#,
            self.xid, self.lsn, self.total_order, self.data_collection_order
        );
    }
}

/// The data collection an END event counts a logical decoding message of
/// `lsn` under. Debezium 3.6 names it after a Java object of its own
/// (`...LogicalDecodingMessageId@` and the object's identity hash, one per
/// message, different in every run); Spillway keeps the name and puts the
/// message's LSN (its low 32 bits, in hexadecimal) where the hash was, so
/// that it is the same in every run.
pub fn message_collection(lsn: u64) -> String {
    format!(
        "io.debezium.connector.postgresql.LogicalDecodingMessageMonitor$LogicalDecodingMessageId@{:x}",
        lsn as u32
    )
}

/// The captured events of the transaction being read.
pub struct Tracker {
    /// The topic `<topic.prefix>.transaction`, as a table with no columns.
    topic: Arc<Table>,
    begun: bool,
    events: u64,
    /// Events per table (`schema.table`), in order of first appearance.
    collections: Vec<(String, u64)>,
    /// Whether keys and values carry their schema.
    schemas: Schemas,
}

impl Tracker {
    /// A tracker writing to `<prefix>.transaction`.
    pub fn new(prefix: &str, schemas: Schemas) -> Self {
        Tracker {
            topic: Arc::new(Table::topic(&format!("{prefix}.transaction"))),
            begun: false,
            events: 0,
            collections: Vec::new(),
            schemas,
        }
    }

    /// Counts an event of the data collection `name` (a table's
    /// `schema.table`, or [`message_collection`]) at `lsn`; returns the
    /// BEGIN event when it is the transaction's first, and the event's block.
    pub fn change(
        &mut self,
        name: String,
        xid: u32,
        lsn: u64,
        ts_ms: i64,
    ) -> (Option<Record>, Block) {
        let begin = (!self.begun).then(|| {
            self.begun = true;
            self.event("BEGIN", xid, lsn, ts_ms, None)
        });
        self.events += 1;
        let per_table = match self.collections.iter_mut().find(|(n, _)| *n == name) {
            Some((_, count)) => {
                *count += 1;
                *count
            }
            None => {
                self.collections.push((name, 1));
                1
            }
        };
        let block = Block {
            xid,
            lsn,
            total_order: self.events,
            data_collection_order: per_table,
        };
        (begin, block)
    }

    /// Ends the transaction: its END event, if it had captured changes.
    pub fn commit(&mut self, xid: u32, lsn: u64, ts_ms: i64) -> Option<Record> {
        let end = self.begun.then(|| {
            let mut collections = Vec::new();
            collections.push(b'[');
            for (i, (name, count)) in self.collections.iter().enumerate() {
                if i > 0 {
                    collections.push(b',');
                }
                collections.extend_from_slice(br#"{"data_collection":"#);
                write_str(name, &mut collections);
                let _ = write!(collections, r#","event_count":{count}}}"#);
            }
            collections.push(b']');
            self.event("END", xid, lsn, ts_ms, Some(&collections))
        });
        self.begun = false;
        self.events = 0;
        self.collections.clear();
        end
    }

    fn event(&self, status: &str, xid: u32, lsn: u64, ts_ms: i64, end: Option<&[u8]>) -> Record {
        let id = format!("{xid}:{lsn}");
        let mut key = Vec::new();
        event::open(self.schemas.key, KEY_SCHEMA, &mut key);
        let _ = write!(key, r#"{{"id":"{id}"}}"#);
        event::close(self.schemas.key, &mut key);
        let mut value = Vec::new();
        event::open(self.schemas.value, VALUE_SCHEMA, &mut value);
        let _ = write!(value, r#"{{"status":"{status}","id":"{id}","event_count":"#);
        match end {
            Some(collections) => {
                let _ = write!(value, r#"{},"data_collections":"#, self.events);
                value.extend_from_slice(collections);
            }
            None => value.extend_from_slice(br#"null,"data_collections":null"#),
        }
        let _ = write!(value, r#","ts_ms":{ts_ms}}}"#);
        event::close(self.schemas.value, &mut value);
        Record::new(
            self.topic.clone(),
            Some(key),
            Some(value),
            Operation::Transaction,
            Some(lsn),
        )
    }
}
