//! Change events in Debezium's JSON: the key and value of every read,
//! create, update, delete, truncate and tombstone, each with its schema
//! (`{"schema":...,"payload":...}`, Debezium's JSON converter's default) or
//! without ([`Schemas`]).

use std::io::Write as _;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use pg_walstream::{ColumnValue, RowData};

use super::table::{Cell, Table};
use super::transaction::Block;
use super::types::write_str;
use crate::config::{Config, ConfigError};

/// Whether keys and values carry their schema, as Debezium's JSON
/// converter's `schemas.enable` (Debezium Server's
/// `debezium.format.key.schemas.enable` and
/// `debezium.format.value.schemas.enable`, both `true` by default). Without
/// it an event is its payload alone: the value
/// `{"before":...,"after":...,"source":...,"op":...}`, the key `{"id":1}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schemas {
    /// Keys carry their schema.
    pub key: bool,
    /// Values carry their schema.
    pub value: bool,
}

impl Default for Schemas {
    fn default() -> Self {
        Schemas {
            key: true,
            value: true,
        }
    }
}

impl Schemas {
    /// Reads the two `debezium.format.*.schemas.enable` keys.
    pub fn from_config(config: &Config) -> Result<Self, ConfigError> {
        let flag = |key: &str| {
            !config
                .get(key)
                .is_some_and(|v| v.eq_ignore_ascii_case("false"))
        };
        Ok(Schemas {
            key: flag("debezium.format.key.schemas.enable"),
            value: flag("debezium.format.value.schemas.enable"),
        })
    }
}

/// Starts a key or value: `{"schema":<schema>,"payload":` when it carries
/// its schema, nothing otherwise; [`close`] ends it.
pub fn open(with_schema: bool, schema: &str, out: &mut Vec<u8>) {
    if with_schema {
        out.extend_from_slice(br#"{"schema":"#);
        out.extend_from_slice(schema.as_bytes());
        out.extend_from_slice(br#","payload":"#);
    }
}

/// Ends what [`open`] started.
pub fn close(with_schema: bool, out: &mut Vec<u8>) {
    if with_schema {
        out.push(b'}');
    }
}

/// The payload of a key written with `with_schema` (the whole key without).
pub fn key_payload(key: &[u8], with_schema: bool) -> &[u8] {
    const START: &[u8] = br#","payload":"#;
    if !with_schema {
        return key;
    }
    // The schema holds no `,"payload":` (its field names are values of
    // "field"), so the first is the envelope's.
    key.windows(START.len())
        .position(|w| w == START)
        .map_or(key, |at| {
            &key[at + START.len()..key.len().saturating_sub(1)]
        })
}

/// The operation an event records (`op`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `r`: a row read by the snapshot.
    Read,
    /// `c`: an insert.
    Create,
    /// `u`: an update.
    Update,
    /// `d`: a delete.
    Delete,
    /// `t`: a truncate.
    Truncate,
}

impl Op {
    fn code(self) -> &'static str {
        match self {
            Op::Read => "r",
            Op::Create => "c",
            Op::Update => "u",
            Op::Delete => "d",
            Op::Truncate => "t",
        }
    }
}

/// Where in the database's history an event comes from (`source`).
#[derive(Debug, Clone, Copy)]
pub struct Position {
    /// Commit time (streaming) or snapshot time, microseconds since the epoch.
    pub ts_us: i64,
    /// `source.snapshot`: `first`, `true`, `last`, ..., or `false` when streaming.
    pub snapshot: &'static str,
    /// The last commit LSN before this event's transaction, if known.
    pub last_commit: Option<u64>,
    /// The event's LSN.
    pub lsn: u64,
    /// The transaction id.
    pub tx_id: Option<u32>,
    /// The event's place in its transaction, with transaction metadata on.
    pub transaction: Option<Block>,
}

/// What a record is about: the operation of a change event, or the kind of
/// record that is none (the transform plugins' `operation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// A change event of this operation.
    Change(Op),
    /// The tombstone after a delete.
    Tombstone,
    /// A logical decoding message.
    Message,
    /// A transaction's BEGIN or END.
    Transaction,
    /// A heartbeat.
    Heartbeat,
}

/// An event ready for a sink: Debezium's key and value, as JSON, and where
/// it goes.
#[derive(Debug, Clone)]
pub struct Record {
    /// The table the event is about (for a record that is no table's, the
    /// topic it was made for: see [`Table::is_topic`]).
    pub table: Arc<Table>,
    /// The key (null for a table without a primary key, and for truncates).
    pub key: Option<Vec<u8>>,
    /// The value (null for a tombstone).
    pub value: Option<Vec<u8>>,
    /// What the record is about.
    pub operation: Operation,
    /// The record's LSN (none for a heartbeat).
    pub lsn: Option<u64>,
    /// Its destination when a transform re-routed it; `None`: the table's topic.
    pub destination: Option<String>,
    /// Headers transforms added: name and value as JSON text.
    pub headers: Vec<(String, String)>,
}

impl Record {
    /// A record for `table`'s topic, without headers.
    pub fn new(
        table: Arc<Table>,
        key: Option<Vec<u8>>,
        value: Option<Vec<u8>>,
        operation: Operation,
        lsn: Option<u64>,
    ) -> Self {
        Record {
            table,
            key,
            value,
            operation,
            lsn,
            destination: None,
            headers: Vec::new(),
        }
    }

    /// Where the record goes: Debezium's topic, as a transform left it.
    pub fn destination(&self) -> &str {
        self.destination.as_deref().unwrap_or(&self.table.topic)
    }
}

/// Writes events for one connector: the fields every event's `source` shares.
#[derive(Debug, Clone)]
pub struct Encoder {
    /// `source.name` (topic.prefix).
    server: String,
    /// `source.db`.
    database: String,
    /// Whether keys and values carry their schema.
    schemas: Schemas,
}

/// `source.version`: Spillway's, so a consumer can tell who wrote the event.
pub const VERSION: &str = concat!("spillway-", env!("CARGO_PKG_VERSION"));

impl Encoder {
    /// An encoder for events of `database`, named `server` (topic.prefix).
    pub fn new(server: &str, database: &str, schemas: Schemas) -> Self {
        Encoder {
            server: server.to_owned(),
            database: database.to_owned(),
            schemas,
        }
    }

    /// The event for a row change. `before` and `after` are the rows' cells
    /// (one per captured column); `after` cells that are absent are unchanged
    /// TOAST values.
    pub fn change(
        &self,
        table: &Arc<Table>,
        op: Op,
        before: Option<&[Cell<'_>]>,
        after: Option<&[Cell<'_>]>,
        position: &Position,
    ) -> Result<Record, String> {
        // Room for the schema when written, the `source` block and the
        // envelope's other fields, and the rows: an event that needs more
        // grows once. (With 512 bytes beside the schema, most events grew,
        // copying the schema again: 6% of a snapshot's CPU.)
        let schema = if self.schemas.value {
            table.envelope_schema.len() + 32
        } else {
            0
        };
        let mut value = Vec::with_capacity(schema + 1024 + 64 * table.columns.len());
        open(self.schemas.value, &table.envelope_schema, &mut value);
        value.extend_from_slice(br#"{"before":"#);
        match before {
            Some(cells) => table.write_row(cells, false, &mut value)?,
            None => value.extend_from_slice(b"null"),
        }
        value.extend_from_slice(br#","after":"#);
        match after {
            Some(cells) => table.write_row(cells, true, &mut value)?,
            None => value.extend_from_slice(b"null"),
        }
        self.write_tail(table, op, position, &mut value);
        close(self.schemas.value, &mut value);
        let key_cells = after.or(before);
        let key = match key_cells {
            Some(cells) if op != Op::Truncate => self.key(table, cells)?,
            _ => None,
        };
        Ok(Record::new(
            table.clone(),
            key,
            Some(value),
            Operation::Change(op),
            Some(position.lsn),
        ))
    }

    /// The tombstone that follows a delete at `lsn`: the key, with a null value.
    pub fn tombstone(
        &self,
        table: &Arc<Table>,
        cells: &[Cell<'_>],
        lsn: u64,
    ) -> Result<Record, String> {
        Ok(Record::new(
            table.clone(),
            self.key(table, cells)?,
            None,
            Operation::Tombstone,
            Some(lsn),
        ))
    }

    /// The key of a row, `None` for a table without a primary key.
    pub fn key(&self, table: &Table, cells: &[Cell<'_>]) -> Result<Option<Vec<u8>>, String> {
        if table.key.is_empty() {
            return Ok(None);
        }
        let mut key = Vec::with_capacity(table.key_schema.len() + 64);
        open(self.schemas.key, &table.key_schema, &mut key);
        table.write_key(cells, &mut key)?;
        close(self.schemas.key, &mut key);
        Ok(Some(key))
    }

    fn write_tail(&self, table: &Table, op: Op, p: &Position, out: &mut Vec<u8>) {
        out.push(b',');
        self.write_source(&table.schema, &table.name, p, out);
        out.extend_from_slice(br#","transaction":"#);
        match &p.transaction {
            Some(block) => block.write(out),
            None => out.extend_from_slice(b"null"),
        }
        let now = now_ns();
        let _ = write!(
            out,
            r#","op":"{}","ts_ms":{},"ts_us":{},"ts_ns":{now}}}"#,
            op.code(),
            now / 1_000_000,
            now / 1000
        );
    }

    /// Writes `"source":{...}`: Debezium's source block for an event of
    /// `schema`.`table` (both empty for a logical decoding message) at `p`.
    pub fn write_source(&self, schema: &str, table: &str, p: &Position, out: &mut Vec<u8>) {
        out.extend_from_slice(br#""source":{"version":""#);
        out.extend_from_slice(VERSION.as_bytes());
        out.extend_from_slice(br#"","connector":"postgresql","name":"#);
        write_str(&self.server, out);
        let _ = write!(
            out,
            r#","ts_ms":{},"snapshot":"{}","db":"#,
            p.ts_us / 1000,
            p.snapshot
        );
        write_str(&self.database, out);
        // `sequence` is a JSON string holding a JSON array of LSN strings.
        let _ = match p.last_commit {
            Some(commit) => write!(out, r#","sequence":"[\"{commit}\",\"{}\"]""#, p.lsn),
            None => write!(out, r#","sequence":"[null,\"{}\"]""#, p.lsn),
        };
        let _ = write!(
            out,
            r#","ts_us":{},"ts_ns":{},"schema":"#,
            p.ts_us,
            p.ts_us * 1000
        );
        write_str(schema, out);
        out.extend_from_slice(br#","table":"#);
        write_str(table, out);
        let _ = match p.tx_id {
            Some(tx) => write!(out, r#","txId":{tx}"#),
            None => out.write_all(br#","txId":null"#),
        };
        let _ = write!(
            out,
            r#","lsn":{},"xmin":null,"origin":null,"origin_lsn":null}}"#,
            p.lsn
        );
    }
}

/// Now, in nanoseconds since the epoch.
pub fn now_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64)
}

/// The cells of `row` for `table`'s captured columns; columns the row does
/// not carry are [`Cell::Absent`].
pub fn cells<'a>(table: &Table, row: &'a RowData) -> Vec<Cell<'a>> {
    let mut cells = vec![Cell::Absent; table.columns.len()];
    for (n, (name, value)) in row.iter().enumerate() {
        // Rows usually carry exactly the captured columns, in order.
        let i = match table.columns.get(n) {
            Some(column) if column.name == **name => n,
            _ => match table.position(name) {
                Some(i) => i,
                None => continue, // an excluded column, or one of a type left out
            },
        };
        cells[i] = match value {
            ColumnValue::Null => Cell::Null,
            ColumnValue::Text(bytes) | ColumnValue::Binary(bytes) => {
                match std::str::from_utf8(bytes) {
                    Ok(text) => Cell::Text(text),
                    Err(_) => Cell::Null,
                }
            }
        };
    }
    cells
}
