//! `io.debezium.transforms.outbox.EventRouter`: rows inserted into an
//! outbox table become events of their own, as Debezium 3's transform makes
//! them (`EventRouterDelegate`): the destination is the row's
//! `route.by.field` column (default `aggregatetype`) passed through
//! `route.topic.regex` / `route.topic.replacement` (default
//! `outbox.event.<value>`), the key its `table.field.event.key` column
//! (`aggregateid`), the value its `table.field.event.payload` column
//! (`payload`), and a header `id` carries `table.field.event.id` (`id`).
//!
//! - `table.fields.additional.placement`: `column:envelope[:alias]` makes the
//!   value a struct of the payload and those columns; `column:header[:alias]`
//!   adds a header; `column:partition` names a Kafka partition, which Kinesis
//!   has not (ignored). `table.field.additional.missing`: `error` (default)
//!   or `ignore` a column the row lacks.
//! - `table.field.event.schema.version`: a column giving the value schema's
//!   version. `route.tombstone.on.empty.payload`: an empty payload makes a
//!   tombstone.
//! - Deletes and tombstones are dropped; an update is dropped too, logged
//!   per `table.op.invalid.behavior` (`warn`, `error`) or refused (`fatal`).
//!   A truncate is dropped (Debezium's transform fails on it).
//! - `table.expand.json.payload=true`: a payload column holding JSON text
//!   (`jsonb`, `json`, `text`) becomes a struct of a schema inferred from it
//!   ([`crate::json_schema`]), with `table.json.payload.null.behavior` and
//!   `table.json.payload.empty.array.behavior`; when that fails, the payload
//!   stays the string it was and a warning says why, as in Debezium.
//!
//! What Debezium logs (an update it ignores, a payload it cannot expand) is
//! kept as [`Notice`]s for the host's log.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::Value;
use serde_json::value::RawValue;

use crate::java_regex::WholeMatch;
use crate::json::{Document, RawObject, as_str, field_schema, is_null};
use crate::json_schema::Inference;
use crate::{Notice, Operation, Record, Settings};

/// The transform's `type`.
pub const TYPE: &str = "io.debezium.transforms.outbox.EventRouter";

/// A column placed beside the payload or in a header.
#[derive(Debug)]
struct Additional {
    column: String,
    alias: String,
    envelope: bool,
}

/// A configured EventRouter.
#[derive(Debug)]
pub struct EventRouter {
    id: String,
    key: String,
    payload: String,
    route_by: String,
    topic: WholeMatch,
    version: Option<String>,
    tombstone_on_empty: bool,
    additional: Vec<Additional>,
    ignore_missing: bool,
    /// `table.op.invalid.behavior`: `None` for `fatal`, else whether an
    /// ignored update is logged as an error (`error`) or a warning (`warn`).
    update_notice: Option<bool>,
    /// `table.expand.json.payload`: how a JSON payload is expanded.
    expand: Option<Inference>,
    /// What to log that happened since the host last asked.
    notices: Mutex<Vec<Notice>>,
    /// Debezium caches a value schema by the payload's schema (or, with a
    /// version column, by the version) alone, so the first destination seen
    /// for one names every later one.
    names: Mutex<HashMap<String, String>>,
    /// What the configuration does not do that its author may expect.
    pub warnings: Vec<String>,
}

impl EventRouter {
    /// The transform `settings` describe.
    ///
    /// # Errors
    /// A bad option, naming it.
    pub fn configure(settings: &dyn Settings) -> Result<Self, String> {
        let text = |key: &str, default: &str| {
            settings
                .get(key)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| default.to_owned())
        };
        let expand = if settings.flag("table.expand.json.payload", false)? {
            Some(Self::inference(&text)?)
        } else {
            None
        };
        let mut warnings = Vec::new();
        let mut additional = Vec::new();
        for entry in text("table.fields.additional.placement", "").split(',') {
            let parts: Vec<&str> = entry.split(':').map(str::trim).collect();
            if parts.len() < 2 || parts[0].is_empty() {
                if !entry.trim().is_empty() {
                    return Err(format!(
                        "table.fields.additional.placement: '{entry}' is not \
                         column:placement[:alias]"
                    ));
                }
                continue;
            }
            let envelope = match parts[1] {
                "envelope" => true,
                "header" => false,
                "partition" => {
                    warnings.push(format!(
                        "table.fields.additional.placement {}:partition has no effect: it \
                         names a Kafka partition, and Kinesis shards by the key",
                        parts[0]
                    ));
                    continue;
                }
                other => {
                    return Err(format!(
                        "table.fields.additional.placement: placement '{other}' is none of \
                         envelope, header, partition"
                    ));
                }
            };
            additional.push(Additional {
                column: parts[0].to_owned(),
                alias: parts.get(2).unwrap_or(&parts[0]).to_string(),
                envelope,
            });
        }
        let update_notice = match text("table.op.invalid.behavior", "warn").as_str() {
            "warn" => Some(false),
            "error" => Some(true),
            "fatal" => None,
            other => {
                return Err(format!(
                    "table.op.invalid.behavior={other}: expected warn, error or fatal"
                ));
            }
        };
        let ignore_missing = match text("table.field.additional.missing", "error").as_str() {
            "error" => false,
            "ignore" => true,
            other => {
                return Err(format!(
                    "table.field.additional.missing={other}: expected error or ignore"
                ));
            }
        };
        Ok(EventRouter {
            id: text("table.field.event.id", "id"),
            key: text("table.field.event.key", "aggregateid"),
            payload: text("table.field.event.payload", "payload"),
            route_by: text("route.by.field", "aggregatetype"),
            topic: WholeMatch::new(
                "route.topic.regex",
                &text("route.topic.regex", "(?<routedByValue>.*)"),
                &text("route.topic.replacement", "outbox.event.${routedByValue}"),
            )?,
            version: settings
                .get("table.field.event.schema.version")
                .filter(|v| !v.trim().is_empty()),
            tombstone_on_empty: settings.flag("route.tombstone.on.empty.payload", false)?,
            additional,
            ignore_missing,
            update_notice,
            expand,
            notices: Mutex::new(Vec::new()),
            names: Mutex::new(HashMap::new()),
            warnings,
        })
    }

    /// How `table.expand.json.payload` expands, from the transform's settings.
    fn inference(text: &dyn Fn(&str, &str) -> String) -> Result<Inference, String> {
        let choice = |key: &str, default: &str, other: &str| {
            let value = text(key, default).to_ascii_lowercase();
            if value == default || value == other {
                Ok(value == other)
            } else {
                Err(format!("{key}={value}: expected {default} or {other}"))
            }
        };
        let adjustment = text("field.name.adjustment.mode", "none");
        if adjustment != "none" {
            return Err(format!(
                "field.name.adjustment.mode={adjustment} with table.expand.json.payload=true \
                 is not built in (Debezium renames the fields and then finds no value for \
                 them): use none"
            ));
        }
        Ok(Inference {
            null_as_bytes: choice(
                "table.json.payload.null.behavior",
                "ignore",
                "optional_bytes",
            )?,
            empty_array_as_strings: choice(
                "table.json.payload.empty.array.behavior",
                "ignore",
                "optional_string",
            )?,
        })
    }

    /// What happened since the last call that Debezium would have logged.
    pub fn take_notices(&self) -> Vec<Notice> {
        self.notices
            .lock()
            .map(|mut notices| std::mem::take(&mut *notices))
            .unwrap_or_default()
    }

    fn notice(&self, error: bool, message: String) {
        if let Ok(mut notices) = self.notices.lock() {
            notices.push(Notice { error, message });
        }
    }

    /// The payload as the event carries it, and its schema: expanded from
    /// JSON text with `table.expand.json.payload`, else as the column holds it.
    fn payload<'p>(
        &self,
        raw: &'p RawValue,
        schema: Option<Value>,
        record: &Record,
    ) -> (Cow<'p, str>, Option<Value>) {
        let Some(inference) = &self.expand else {
            return (Cow::Borrowed(raw.get()), schema);
        };
        let (schema_name, table) = (&record.schema, &record.table);
        match as_str(raw) {
            Some(text) => match inference.expand(&text, &self.payload) {
                Ok((inferred, data)) => {
                    let inferred = schema.map(|_| inferred.to_json(None));
                    return (Cow::Owned(data), inferred);
                }
                Err(why) => self.notice(
                    false,
                    format!(
                        "the payload of an outbox event of {schema_name}.{table} stays a string: \
                         JSON expansion failed: {why}"
                    ),
                ),
            },
            None if !is_null(raw) => self.notice(
                false,
                format!(
                    "table.expand.json.payload is on but the payload of an outbox event of \
                     {schema_name}.{table} is not a string"
                ),
            ),
            None => {}
        }
        (Cow::Borrowed(raw.get()), schema)
    }

    /// The event an outbox row's insert becomes (nothing for other records
    /// of the table; records that are no change pass unchanged).
    ///
    /// # Errors
    /// A row without the configured columns, or an update with
    /// `table.op.invalid.behavior=fatal`.
    pub fn apply(&self, mut record: Record) -> Result<Vec<Record>, String> {
        let Some(value) = record.value.take() else {
            return Ok(Vec::new());
        };
        match record.operation {
            Operation::Read | Operation::Create => {}
            Operation::Update => {
                let Some(error) = self.update_notice else {
                    return Err(format!(
                        "an update of outbox table {}.{} (table.op.invalid.behavior=fatal)",
                        record.schema, record.table
                    ));
                };
                self.notice(
                    error,
                    format!(
                        "an update of outbox table {}.{} is ignored: an outbox table \
                         takes inserts (table.op.invalid.behavior)",
                        record.schema, record.table
                    ),
                );
                return Ok(Vec::new());
            }
            Operation::Delete | Operation::Truncate => return Ok(Vec::new()),
            _ => {
                record.value = Some(value);
                return Ok(vec![record]);
            }
        }
        let document = Document::parse(&value).map_err(|e| format!("value: {e}"))?;
        let envelope = RawObject::parse(document.payload.get())?;
        let row_raw = envelope
            .get("after")
            .filter(|r| !is_null(r))
            .ok_or("an outbox insert without a row")?;
        let row = RawObject::parse(row_raw.get())?;
        let row_schema = document
            .schema
            .as_ref()
            .and_then(|schema| field_schema(schema, "after"));
        let column = |name: &str, what: &str| {
            row.get(name)
                .ok_or_else(|| format!("the outbox row has no {what} column '{name}'"))
        };
        let schema_of = |name: &str| {
            row_schema.and_then(|s| field_schema(s, name)).map(|f| {
                let mut f = f.clone();
                if let Some(object) = f.as_object_mut() {
                    object.remove("field");
                }
                f
            })
        };
        let id = column(&self.id, "event id (table.field.event.id)")?;
        let payload = column(&self.payload, "payload (table.field.event.payload)")?;
        let key = column(&self.key, "event key (table.field.event.key)")?;
        let routed_raw = column(&self.route_by, "routing (route.by.field)")?;
        let routed = as_str(routed_raw)
            .ok_or_else(|| format!("route.by.field={}: the column is not text", self.route_by))?;

        record.headers.push((
            "id".to_owned(),
            Document::write(schema_of(&self.id).as_ref(), id.get()),
        ));
        let mut envelope_fields: Vec<(&Additional, &RawValue)> = Vec::new();
        for field in &self.additional {
            let Some(raw) = row.get(&field.column) else {
                if self.ignore_missing {
                    continue;
                }
                return Err(format!("the outbox row has no column '{}'", field.column));
            };
            if field.envelope {
                envelope_fields.push((field, raw));
            } else {
                record.headers.push((
                    field.alias.clone(),
                    Document::write(schema_of(&field.column).as_ref(), raw.get()),
                ));
            }
        }

        let empty = is_null(payload) || as_str(payload).is_some_and(|p| p.trim().is_empty());
        let (payload, payload_schema) = self.payload(payload, schema_of(&self.payload), &record);
        record.value = if empty && self.tombstone_on_empty {
            None
        } else if self.additional.iter().all(|f| !f.envelope) {
            Some(Document::write(payload_schema.as_ref(), &payload))
        } else {
            let mut text = String::from("{\"payload\":");
            text.push_str(&payload);
            for (field, raw) in &envelope_fields {
                text.push(',');
                crate::json::write_str(&field.alias, &mut text);
                text.push(':');
                text.push_str(raw.get());
            }
            text.push('}');
            let schema = row_schema.map(|row_schema| {
                self.value_schema(
                    row_schema,
                    &routed,
                    payload_schema,
                    &envelope_fields,
                    &row,
                    &schema_of,
                )
            });
            Some(Document::write(schema.as_ref(), &text))
        };
        record.key = Some(Document::write(schema_of(&self.key).as_ref(), key.get()));
        record.destination = self.topic.replace(&routed).unwrap_or(routed);
        Ok(vec![record])
    }

    /// The value's schema: a struct of the payload and the envelope columns,
    /// named `<row schema's namespace>.<routed value>.<its last part>`
    /// (`golden.s.outbox.order.Value`), versioned by the version column.
    fn value_schema(
        &self,
        row_schema: &Value,
        routed: &str,
        payload_schema: Option<Value>,
        envelope_fields: &[(&Additional, &RawValue)],
        row: &RawObject<'_>,
        schema_of: &dyn Fn(&str) -> Option<Value>,
    ) -> Value {
        let field = |schema: Option<Value>, name: &str| {
            let mut schema = schema.unwrap_or_else(|| serde_json::json!({"type": "string"}));
            if let Some(object) = schema.as_object_mut() {
                object.insert("field".into(), Value::from(name));
            }
            schema
        };
        let mut fields = vec![field(payload_schema.clone(), "payload")];
        for (additional, _) in envelope_fields {
            fields.push(field(schema_of(&additional.column), &additional.alias));
        }
        let original = row_schema["name"].as_str().unwrap_or_default();
        let name = match original.rsplit_once('.') {
            Some((namespace, last)) => format!("{namespace}.{routed}.{last}"),
            None if original.is_empty() => routed.to_owned(),
            None => format!("{routed}.{original}"),
        };
        let version = self
            .version
            .as_ref()
            .and_then(|column| row.get(column))
            .and_then(|raw| raw.get().parse::<i64>().ok());
        let cache_key = match (&self.version, version) {
            (Some(_), version) => format!("version {version:?}"),
            (None, _) => payload_schema.map(|s| s.to_string()).unwrap_or_default(),
        };
        let name = self
            .names
            .lock()
            .map(|mut names| names.entry(cache_key).or_insert(name).clone())
            .unwrap_or_default();
        let mut schema = serde_json::Map::new();
        schema.insert("type".into(), Value::from("struct"));
        schema.insert("fields".into(), Value::Array(fields));
        schema.insert("optional".into(), Value::Bool(false));
        schema.insert("name".into(), Value::from(name));
        if let Some(version) = version {
            schema.insert("version".into(), Value::from(version));
        }
        Value::Object(schema)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn configure(pairs: &[(&str, &str)]) -> Result<EventRouter, String> {
        let settings: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        EventRouter::configure(&settings)
    }

    #[test]
    fn an_insert_becomes_its_payload_keyed_and_routed_by_its_columns() {
        let router = configure(&[]).unwrap();
        let value = r#"{"before":null,"after":{"id":"e1","aggregatetype":"order","aggregateid":"o-1","payload":"{\"a\":1}"},"op":"c"}"#;
        let record = Record {
            destination: "p.s.outbox".into(),
            key: Some(r#"{"id":"e1"}"#.into()),
            value: Some(value.into()),
            headers: Vec::new(),
            operation: Operation::Create,
            schema: "s".into(),
            table: "outbox".into(),
            lsn: Some(1),
        };
        let out = router.apply(record.clone()).unwrap();
        assert_eq!(out[0].destination, "outbox.event.order");
        assert_eq!(out[0].key.as_deref(), Some(r#""o-1""#));
        assert_eq!(out[0].value.as_deref(), Some(r#""{\"a\":1}""#));
        assert_eq!(
            out[0].headers,
            vec![("id".to_owned(), r#""e1""#.to_owned())]
        );
        // Updates, deletes and tombstones of the outbox table make nothing.
        for operation in [Operation::Update, Operation::Delete] {
            let other = Record {
                operation,
                ..record.clone()
            };
            assert!(router.apply(other).unwrap().is_empty());
        }
        let tombstone = Record {
            value: None,
            operation: Operation::Tombstone,
            ..record
        };
        assert!(router.apply(tombstone).unwrap().is_empty());
    }

    #[test]
    fn what_is_not_built_in_or_malformed_is_refused() {
        let expand = configure(&[
            ("table.expand.json.payload", "true"),
            ("table.json.payload.null.behavior", "drop"),
        ])
        .unwrap_err();
        assert!(
            expand.contains("expected ignore or optional_bytes"),
            "{expand}"
        );
        let placement =
            configure(&[("table.fields.additional.placement", "type:body")]).unwrap_err();
        assert!(
            placement.contains("none of envelope, header, partition"),
            "{placement}"
        );
        let partition = configure(&[("table.fields.additional.placement", "n:partition")]);
        assert!(partition.unwrap().warnings[0].contains("has no effect"));
    }
}
