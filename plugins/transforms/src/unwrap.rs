//! `io.debezium.transforms.ExtractNewRecordState` ("unwrap"): a change event
//! becomes the row it leaves behind (`after`), as Debezium 3's transform
//! does it (`ExtractNewRecordState`, `DefaultDeleteHandlingStrategy`):
//!
//! - `delete.tombstone.handling.mode`: `tombstone` (the default: a delete
//!   becomes a record with a null value, tombstones are dropped), `drop`,
//!   `rewrite` (a delete becomes its `before` row with `__deleted: "true"`,
//!   other rows get `"false"`), `rewrite-with-tombstone` (rewrite, and
//!   tombstones kept), `delete-to-tombstone` (a delete becomes a tombstone);
//! - `add.fields` / `add.fields.prefix`, `add.headers` / `add.headers.prefix`:
//!   `op`, `ts_ms`, `source.<field>` (or a bare source field), `transaction.<field>`,
//!   each optionally renamed (`source.ts_ms:event_ts`);
//! - `route.by.field`: a column whose value becomes the destination;
//! - `replace.null.with.default` (default true): in the rewrite modes, a
//!   null column with a default gets its default, as Kafka's `InsertField`.
//!
//! Truncates are dropped; records that are no change event (messages,
//! transaction metadata, heartbeats) pass unchanged. Debezium 2's
//! `drop.tombstones` and `delete.handling.mode` were removed in Debezium 3,
//! which ignores them: so does this transform, with a warning saying which
//! mode has the effect they had.

use serde_json::Value;
use serde_json::value::RawValue;

use crate::json::{Document, RawObject, as_str, field_schema, is_null, write_str};
use crate::{Record, Settings};

/// The transform's `type`.
pub const TYPE: &str = "io.debezium.transforms.ExtractNewRecordState";

/// `delete.tombstone.handling.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Deletes and tombstones dropped.
    Drop,
    /// A delete becomes a null value; tombstones dropped.
    Tombstone,
    /// A delete becomes its old row with `__deleted`; tombstones dropped.
    Rewrite,
    /// As `Rewrite`, tombstones kept.
    RewriteWithTombstone,
    /// A delete becomes a tombstone; tombstones dropped.
    DeleteToTombstone,
}

impl Mode {
    const NAMES: [(&str, Mode); 5] = [
        ("drop", Mode::Drop),
        ("tombstone", Mode::Tombstone),
        ("rewrite", Mode::Rewrite),
        ("rewrite-with-tombstone", Mode::RewriteWithTombstone),
        ("delete-to-tombstone", Mode::DeleteToTombstone),
    ];

    fn parse(value: &str) -> Result<Mode, String> {
        Self::NAMES
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(value.trim()))
            .map(|(_, mode)| *mode)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::NAMES.iter().map(|(n, _)| *n).collect();
                format!(
                    "delete.tombstone.handling.mode={value}: expected one of {}",
                    names.join(", ")
                )
            })
    }

    fn rewrites(self) -> bool {
        matches!(self, Mode::Rewrite | Mode::RewriteWithTombstone)
    }
}

/// A field of the change event copied into the row or a header
/// (Debezium's `FieldReference`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct FieldReference {
    /// `source`, `transaction`, or `None` for the envelope's own (`op`, `ts_ms`).
    parent: Option<String>,
    field: String,
    /// The name it gets: prefix and `field`, `<parent>_<field>`, or the new name.
    name: String,
}

impl FieldReference {
    fn parse(prefix: &str, text: &str) -> Result<Self, String> {
        let parts: Vec<&str> = text.split(':').collect();
        let path: Vec<&str> = parts[0].split('.').collect();
        let field = path.get(1).unwrap_or(&path[0]).to_string();
        let parent = if path.len() == 1 {
            match field.as_str() {
                "id" | "data_collection_order" | "total_order" => Some("transaction".to_owned()),
                "op" | "ts_ms" | "ts_us" | "ts_ns" => None,
                _ => Some("source".to_owned()),
            }
        } else {
            Some(path[0].to_owned())
        };
        let name = match (parts.len(), path.len()) {
            (1, 1) => format!("{prefix}{field}"),
            (1, _) => format!("{prefix}{}_{field}", path[0]),
            (2, _) => format!("{prefix}{}", parts[1]),
            _ => {
                return Err(format!(
                    "'{text}' is not a field (field or struct.field[:name])"
                ));
            }
        };
        Ok(FieldReference {
            parent,
            field,
            name,
        })
    }

    fn list(prefix: &str, text: Option<String>) -> Result<Vec<Self>, String> {
        text.unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .map(|f| Self::parse(prefix, f))
            .collect()
    }

    /// The field's schema, made optional and named for where it goes, or
    /// `None` when the event has no such field (then nothing is added).
    /// Without a schema, a field is there when its value is.
    fn schema(&self, envelope: &Envelope<'_>) -> Option<Option<Value>> {
        let Some(schema) = &envelope.schema else {
            return self.raw(envelope).map(|_| None);
        };
        let found = match &self.parent {
            Some(parent) => field_schema(schema, parent).and_then(|p| field_schema(p, &self.field)),
            None => None,
        }
        .or_else(|| field_schema(schema, &self.field))?;
        let mut copy = serde_json::Map::new();
        copy.insert("type".into(), found["type"].clone());
        copy.insert("optional".into(), Value::Bool(true));
        for basic in ["name", "version", "doc", "parameters"] {
            if let Some(v) = found.get(basic) {
                copy.insert(basic.into(), v.clone());
            }
        }
        copy.insert("field".into(), Value::from(self.name.clone()));
        Some(Some(Value::Object(copy)))
    }

    /// The field's value in the event (`null` when its parent is null), or
    /// `None` when there is no such field.
    ///
    /// `source.snapshot` is `null` while streaming: Debezium leaves it unset
    /// then, and its JSON shows the schema's default, `"false"`; the
    /// transform copies the value without the default (`getWithoutDefault`).
    fn raw<'a>(&self, envelope: &Envelope<'a>) -> Option<&'a RawValue> {
        let null: &'static RawValue = serde_json::from_str("null").ok()?;
        if let Some(parent) = &self.parent {
            match envelope.payload.get(parent) {
                Some(raw) if is_null(raw) => return Some(null),
                Some(raw) => {
                    let object = RawObject::parse(raw.get()).ok()?;
                    if let Some(value) = object.get(&self.field) {
                        let unset = parent == "source"
                            && self.field == "snapshot"
                            && value.get() == r#""false""#;
                        return Some(if unset { null } else { value });
                    }
                }
                None => {}
            }
        }
        envelope.payload.get(&self.field)
    }
}

/// A change event's value, read.
struct Envelope<'a> {
    schema: Option<Value>,
    payload: RawObject<'a>,
}

/// A configured ExtractNewRecordState.
#[derive(Debug)]
pub struct Unwrap {
    mode: Mode,
    route_by_field: Option<String>,
    fields: Vec<FieldReference>,
    headers: Vec<FieldReference>,
    replace_null_with_default: bool,
    /// What the configuration does not do that its author may expect.
    pub warnings: Vec<String>,
}

impl Unwrap {
    /// The transform `settings` describe.
    ///
    /// # Errors
    /// A bad option, naming it.
    pub fn configure(settings: &dyn Settings) -> Result<Self, String> {
        let mode = match settings.get("delete.tombstone.handling.mode") {
            Some(value) => Mode::parse(&value)?,
            None => Mode::Tombstone,
        };
        let mut warnings = Vec::new();
        let legacy_drop = settings.get("drop.tombstones");
        let legacy_mode = settings.get("delete.handling.mode");
        if legacy_drop.is_some() || legacy_mode.is_some() {
            let keep_tombstones = legacy_drop.as_deref().is_some_and(|v| v.trim() == "false");
            let equivalent = match (legacy_mode.as_deref().map(str::trim), keep_tombstones) {
                (Some("rewrite"), true) => "rewrite-with-tombstone",
                (Some("rewrite"), false) => "rewrite",
                (Some("none"), _) => "tombstone",
                _ => "drop",
            };
            warnings.push(format!(
                "drop.tombstones and delete.handling.mode were removed in Debezium 3.0 and have \
                 no effect; delete.tombstone.handling.mode={equivalent} does what they did \
                 (now: {})",
                Mode::NAMES
                    .iter()
                    .find(|(_, m)| *m == mode)
                    .map_or("tombstone", |(n, _)| *n)
            ));
        }
        let field_prefix = settings
            .get("add.fields.prefix")
            .unwrap_or_else(|| "__".into());
        let header_prefix = settings
            .get("add.headers.prefix")
            .unwrap_or_else(|| "__".into());
        Ok(Unwrap {
            mode,
            route_by_field: settings
                .get("route.by.field")
                .map(|f| f.trim().to_owned())
                .filter(|f| !f.is_empty()),
            fields: FieldReference::list(&field_prefix, settings.get("add.fields"))
                .map_err(|e| format!("add.fields: {e}"))?,
            headers: FieldReference::list(&header_prefix, settings.get("add.headers"))
                .map_err(|e| format!("add.headers: {e}"))?,
            replace_null_with_default: settings.flag("replace.null.with.default", true)?,
            warnings,
        })
    }

    /// The records `record` becomes: none, or one.
    ///
    /// # Errors
    /// A value that is not Debezium's JSON, or a `route.by.field` column
    /// that is missing or not text.
    pub fn apply(&self, mut record: Record) -> Result<Vec<Record>, String> {
        let Some(value) = record.value.take() else {
            // A tombstone: an `op` header says `d` (with the schema of a
            // required string, when the key shows schemas are written);
            // kept only by rewrite-with-tombstone.
            let with_schema = record
                .key
                .as_deref()
                .is_none_or(|key| Document::parse(key).is_ok_and(|k| k.schema.is_some()));
            let schema = serde_json::json!({"type": "string", "optional": false});
            for header in &self.headers {
                if header.parent.is_none() && header.field == "op" {
                    let value = Document::write(with_schema.then_some(&schema), r#""d""#);
                    record.headers.push((header.name.clone(), value));
                }
            }
            return Ok(match self.mode {
                Mode::RewriteWithTombstone => vec![record],
                _ => Vec::new(),
            });
        };
        if !record.operation.is_change() {
            record.value = Some(value);
            return Ok(vec![record]);
        }
        let document = Document::parse(&value).map_err(|e| format!("value: {e}"))?;
        let envelope = Envelope {
            schema: document.schema,
            payload: RawObject::parse(document.payload.get())
                .map_err(|e| format!("value payload: {e}"))?,
        };
        // A header is a document of its own: its schema (the field's, made
        // optional) and value, as Debezium's JSON header converter writes it.
        for header in &self.headers {
            if let Some(schema) = header.schema(&envelope)
                && let Some(raw) = header.raw(&envelope)
            {
                let schema = schema.map(|mut schema| {
                    if let Some(object) = schema.as_object_mut() {
                        object.remove("field");
                    }
                    schema
                });
                let value = Document::write(schema.as_ref(), raw.get());
                record.headers.push((header.name.clone(), value));
            }
        }
        let after = envelope.payload.get("after").filter(|r| !is_null(r));
        let before = envelope.payload.get("before").filter(|r| !is_null(r));
        let (row, deleted, row_field) = match (after, before) {
            (Some(after), _) => (after, "false", "after"),
            (None, Some(before)) => (before, "true", "before"),
            // A truncate: dropped.
            (None, None) => return Ok(Vec::new()),
        };
        let deleting = after.is_none();
        if deleting {
            match self.mode {
                Mode::Drop => return Ok(Vec::new()),
                Mode::Tombstone => {
                    self.route(&mut record, row.get())?;
                    record.value = envelope.schema.as_ref().and_then(|schema| {
                        let mut row_schema = field_schema(schema, "after")?.clone();
                        row_schema.as_object_mut()?.remove("field");
                        Some(Document::write(Some(&row_schema), "null"))
                    });
                    return Ok(vec![record]);
                }
                Mode::DeleteToTombstone => {
                    self.route(&mut record, row.get())?;
                    return Ok(vec![record]);
                }
                Mode::Rewrite | Mode::RewriteWithTombstone => {}
            }
        }
        let row_object =
            RawObject::parse(row.get()).map_err(|e| format!("'{row_field}' is {e}"))?;
        let row_schema = envelope
            .schema
            .as_ref()
            .and_then(|schema| field_schema(schema, row_field));
        let mut fields: Vec<Value> = row_schema
            .and_then(|s| s.get("fields"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        // The fields added after the row's columns, with their values.
        let mut added: Vec<(String, Box<RawValue>)> = Vec::new();
        if self.mode.rewrites() {
            fields.push(
                serde_json::json!({"type": "string", "optional": true, "field": "__deleted"}),
            );
            added.push(("__deleted".into(), to_raw(&format!("\"{deleted}\""))?));
        }
        for field in &self.fields {
            if let Some(schema) = field.schema(&envelope) {
                let raw = field.raw(&envelope).map_or("null", RawValue::get);
                if let Some(schema) = schema {
                    fields.push(schema);
                }
                added.push((field.name.clone(), to_raw(raw)?));
            }
        }
        let payload = self.row_payload(&row_object, &fields, &added);
        self.route(&mut record, &payload)?;
        let schema = row_schema.map(|original| {
            let mut schema = serde_json::Map::new();
            schema.insert("type".into(), Value::from("struct"));
            schema.insert("fields".into(), Value::Array(fields));
            schema.insert("optional".into(), Value::Bool(false));
            for basic in ["name", "version", "doc", "parameters"] {
                if let Some(v) = original.get(basic) {
                    schema.insert(basic.into(), v.clone());
                }
            }
            Value::Object(schema)
        });
        record.value = Some(Document::write(schema.as_ref(), &payload));
        Ok(vec![record])
    }

    /// The row's payload text: its columns (a null one with a default gets
    /// it, in the rewrite modes), then the added fields.
    fn row_payload(
        &self,
        row: &RawObject<'_>,
        fields: &[Value],
        added: &[(String, Box<RawValue>)],
    ) -> String {
        let mut out = String::with_capacity(256);
        out.push('{');
        let mut first = true;
        let mut separator = |out: &mut String| {
            if !first {
                out.push(',');
            }
            first = false;
        };
        let defaults = self.mode.rewrites() && self.replace_null_with_default;
        for (name, raw) in &row.members {
            separator(&mut out);
            write_str(name, &mut out);
            out.push(':');
            let default = defaults
                .then(|| fields.iter().find(|f| f["field"] == name.as_ref()))
                .flatten()
                .and_then(|f| f.get("default"))
                .filter(|_| is_null(raw));
            match default {
                Some(default) => out.push_str(&default.to_string()),
                None => out.push_str(raw.get()),
            }
        }
        for (name, raw) in added {
            separator(&mut out);
            write_str(name, &mut out);
            out.push(':');
            out.push_str(raw.get());
        }
        out.push('}');
        out
    }

    /// `route.by.field` on the row `row` (a JSON object's text).
    fn route(&self, record: &mut Record, row: &str) -> Result<(), String> {
        let Some(field) = &self.route_by_field else {
            return Ok(());
        };
        let row = RawObject::parse(row)?;
        let raw = row
            .get(field)
            .ok_or_else(|| format!("route.by.field={field}: the row has no such column"))?;
        if is_null(raw) {
            return Ok(());
        }
        let topic = as_str(raw)
            .ok_or_else(|| format!("route.by.field={field}: the column is not text ({raw})"))?;
        if !topic.trim().is_empty() {
            record.destination = topic;
        }
        Ok(())
    }
}

fn to_raw(text: &str) -> Result<Box<RawValue>, String> {
    RawValue::from_string(text.to_owned()).map_err(|e| e.to_string())
}
