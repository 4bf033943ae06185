//! A captured table as events describe it: its captured columns, its key and
//! the Connect schemas (key and envelope) Debezium writes with every event,
//! rendered once per table.

use std::collections::HashMap;

use super::naming::NameAdjustment;
use super::types::{Kind, write_str};
use crate::telemetry::metrics::CAPTURE_EVENTS;

/// A column that events carry.
#[derive(Debug, Clone)]
pub struct Column {
    /// The column's name.
    pub name: String,
    /// The field events carry it as: its name, adjusted as
    /// `field.name.adjustment.mode` says ([`NameAdjustment::field_name`]).
    pub field: String,
    /// How its values are represented.
    pub kind: Kind,
    /// Whether it may be NULL.
    pub optional: bool,
    /// Its default as a JSON value, when Debezium can state it.
    pub default: Option<String>,
    /// What events carry for its TOASTed value when PostgreSQL did not send
    /// it (unchanged), as JSON: `unavailable.value.placeholder` as the
    /// column's type holds it, or `None` to write its default or null.
    pub unavailable: Option<String>,
}

/// A captured table.
#[derive(Debug)]
pub struct Table {
    /// The schema (namespace).
    pub schema: String,
    /// The table's name.
    pub name: String,
    /// The columns events carry, in table order.
    pub columns: Vec<Column>,
    /// Indexes into `columns` of the primary key, in key order; empty when
    /// the table has none (its events have a null key).
    pub key: Vec<usize>,
    /// `<topic.prefix>.<schema>.<table>`, sanitized as Debezium sanitizes topic
    /// names: Debezium's topic, and the default stream name.
    pub topic: String,
    /// The key's Connect schema (JSON), empty without a key.
    pub key_schema: String,
    /// The envelope's Connect schema (JSON).
    pub envelope_schema: String,
    /// The table's count of captured events (a metric), counted where an
    /// event is handed on, not where it is encoded: a snapshot's first and
    /// last rows are encoded twice.
    pub events: metrics::Counter,
    positions: HashMap<String, usize>,
}

/// A source column's value in one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell<'a> {
    /// PostgreSQL sent no value: an unchanged TOASTed value, or a column
    /// missing from an old row.
    Absent,
    /// SQL NULL.
    Null,
    /// The value's text output.
    Text(&'a str),
}

impl Table {
    /// A table of `columns` with primary key `key` (indexes into `columns`),
    /// its events on the topic `prefix.schema.name` (made valid for Kafka)
    /// with Connect schemas named after the topic as `schema_names` adjusts
    /// it.
    pub fn new(
        prefix: &str,
        schema_names: NameAdjustment,
        schema: String,
        name: String,
        columns: Vec<Column>,
        key: Vec<usize>,
    ) -> Self {
        let topic = spillway_mapper::stream_name(prefix, &schema, &name);
        let schema_name = schema_names.schema_name(&topic);
        let fields = |indexes: &mut dyn Iterator<Item = usize>| {
            indexes
                .map(|i| column_schema(&columns[i]))
                .collect::<Vec<_>>()
                .join(",")
        };
        let key_schema = if key.is_empty() {
            String::new()
        } else {
            format!(
                r#"{{"type":"struct","fields":[{}],"optional":false,"name":"{schema_name}.Key"}}"#,
                fields(&mut key.iter().copied())
            )
        };
        let value = format!(
            r#"{{"type":"struct","fields":[{}],"optional":true,"name":"{schema_name}.Value","#,
            fields(&mut (0..columns.len()))
        );
        let envelope_schema = format!(
            r#"{{"type":"struct","fields":[{value}"field":"before"}},{value}"field":"after"}},{SOURCE_SCHEMA},{TRANSACTION_SCHEMA},{{"type":"string","optional":false,"field":"op"}},{{"type":"int64","optional":true,"field":"ts_ms"}},{{"type":"int64","optional":true,"field":"ts_us"}},{{"type":"int64","optional":true,"field":"ts_ns"}}],"optional":false,"name":"{schema_name}.Envelope","version":2}}"#
        );
        let positions = columns
            .iter()
            .enumerate()
            .map(|(i, c)| (c.name.clone(), i))
            .collect();
        let events = metrics::counter!(CAPTURE_EVENTS, "table" => format!("{schema}.{name}"));
        Table {
            schema,
            name,
            columns,
            key,
            topic,
            key_schema,
            envelope_schema,
            events,
            positions,
        }
    }

    /// A topic that is no table (`<prefix>.transaction`): no columns, no
    /// schema or name; sinks write to the topic's name as it is.
    pub fn topic(topic: &str) -> Self {
        Table {
            schema: String::new(),
            name: String::new(),
            columns: Vec::new(),
            key: Vec::new(),
            topic: topic.to_owned(),
            key_schema: String::new(),
            envelope_schema: String::new(),
            events: metrics::Counter::noop(),
            positions: HashMap::new(),
        }
    }

    /// Whether this is a topic of its own rather than a table's.
    pub fn is_topic(&self) -> bool {
        self.name.is_empty()
    }

    /// The index in `columns` of the column named `name`, if captured.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.positions.get(name).copied()
    }

    /// Whether two rows' cells hold the same primary key (always, for a
    /// table without one).
    pub fn same_key(&self, a: &[Cell<'_>], b: &[Cell<'_>]) -> bool {
        self.key.iter().all(|&i| a.get(i) == b.get(i))
    }

    /// Writes the row `cells` (one per column) as the Value struct's JSON.
    /// `toasted` says whether absent cells are unchanged TOAST values (a new
    /// row) rather than columns an old row does not carry.
    pub fn write_row(
        &self,
        cells: &[Cell<'_>],
        toasted: bool,
        out: &mut Vec<u8>,
    ) -> Result<(), String> {
        self.write_struct(0..self.columns.len(), cells, toasted, out)
    }

    /// Writes the key struct's JSON from `cells`.
    pub fn write_key(&self, cells: &[Cell<'_>], out: &mut Vec<u8>) -> Result<(), String> {
        self.write_struct(self.key.iter().copied(), cells, false, out)
    }

    fn write_struct(
        &self,
        indexes: impl Iterator<Item = usize>,
        cells: &[Cell<'_>],
        toasted: bool,
        out: &mut Vec<u8>,
    ) -> Result<(), String> {
        out.push(b'{');
        for (n, i) in indexes.enumerate() {
            let column = &self.columns[i];
            if n > 0 {
                out.push(b',');
            }
            write_str(&column.field, out);
            out.push(b':');
            let cell = cells.get(i).copied().unwrap_or(Cell::Absent);
            match (cell, &column.unavailable) {
                (Cell::Text(text), _) => column
                    .kind
                    .write_value(text, out)
                    .map_err(|e| format!("{}.{}.{}: {e}", self.schema, self.name, column.name))?,
                (Cell::Absent, Some(placeholder)) if toasted => {
                    out.extend_from_slice(placeholder.as_bytes())
                }
                // Kafka's JsonConverter writes a schema's default in place of null.
                _ => match &column.default {
                    Some(default) => out.extend_from_slice(default.as_bytes()),
                    None if column.optional => out.extend_from_slice(b"null"),
                    None => out.extend_from_slice(column.kind.zero().as_bytes()),
                },
            }
        }
        out.push(b'}');
        Ok(())
    }
}

fn column_schema(column: &Column) -> String {
    let (head, tail) = column.kind.schema_parts();
    let default = column
        .default
        .as_ref()
        .map(|d| format!(r#","default":{d}"#))
        .unwrap_or_default();
    let mut name = Vec::new();
    write_str(&column.field, &mut name);
    // Debezium's Geometry and Geography schemas are optional whatever the
    // column's NOT NULL (a NOT NULL column's missing value is still written
    // as the kind's zero).
    let optional = column.optional || matches!(column.kind, Kind::Geometry { .. });
    format!(
        r#"{{{head},"optional":{optional}{tail}{default},"field":{}}}"#,
        String::from_utf8_lossy(&name)
    )
}

/// The `source` block's Connect schema, as a field of an envelope.
pub const SOURCE_SCHEMA: &str = r#"{"type":"struct","fields":[{"type":"string","optional":false,"field":"version"},{"type":"string","optional":false,"field":"connector"},{"type":"string","optional":false,"field":"name"},{"type":"int64","optional":false,"field":"ts_ms"},{"type":"string","optional":true,"name":"io.debezium.data.Enum","version":1,"parameters":{"allowed":"true,first,first_in_data_collection,last_in_data_collection,last,false,incremental"},"default":"false","field":"snapshot"},{"type":"string","optional":false,"field":"db"},{"type":"string","optional":true,"field":"sequence"},{"type":"int64","optional":true,"field":"ts_us"},{"type":"int64","optional":true,"field":"ts_ns"},{"type":"string","optional":false,"field":"schema"},{"type":"string","optional":false,"field":"table"},{"type":"int64","optional":true,"field":"txId"},{"type":"int64","optional":true,"field":"lsn"},{"type":"int64","optional":true,"field":"xmin"},{"type":"string","optional":true,"field":"origin"},{"type":"int64","optional":true,"field":"origin_lsn"}],"optional":false,"name":"io.debezium.connector.postgresql.Source","version":1,"field":"source"}"#;

/// The `transaction` block's Connect schema, as a field of an envelope.
pub const TRANSACTION_SCHEMA: &str = r#"{"type":"struct","fields":[{"type":"string","optional":false,"field":"id"},{"type":"int64","optional":false,"field":"total_order"},{"type":"int64","optional":false,"field":"data_collection_order"}],"optional":true,"name":"event.block","version":1,"field":"transaction"}"#;
