//! Topic routers: Debezium's `ByLogicalTableRouter`, which merges tables
//! into one topic and renames the key and value schemas after it, and
//! Kafka's `RegexRouter`, which renames the topic only. Sources: Debezium's
//! `ToLogicalTopicRouter` (3.x) and Kafka's `RegexRouter`.

use serde_json::Value;

use crate::java_regex::WholeMatch;
use crate::json::{Document, RawObject, field_schema, write_str};
use crate::{Record, Settings};

/// Debezium's logical table router.
pub const LOGICAL_TABLE_TYPE: &str = "io.debezium.transforms.ByLogicalTableRouter";
/// Kafka's regex router.
pub const REGEX_TYPE: &str = "org.apache.kafka.connect.transforms.RegexRouter";

/// A configured router.
#[derive(Debug)]
pub struct Router {
    topic: WholeMatch,
    /// `None` for RegexRouter, which leaves keys and values alone.
    logical: Option<Logical>,
}

/// What ByLogicalTableRouter does beside renaming the topic.
#[derive(Debug)]
struct Logical {
    /// `key.enforce.uniqueness` (default true): add the source topic to keys.
    enforce_uniqueness: bool,
    /// `key.field.name` (default `__dbz__physicalTableIdentifier`).
    key_field: String,
    /// `key.field.regex` and `key.field.replacement`: the identifier from the topic.
    key_identifier: Option<WholeMatch>,
    /// `schema.name.adjustment.mode`: `none` (default) or `avro`.
    avro_names: bool,
}

impl Router {
    /// `io.debezium.transforms.ByLogicalTableRouter`: `topic.regex`,
    /// `topic.replacement`, `key.enforce.uniqueness`, `key.field.name`,
    /// `key.field.regex`, `key.field.replacement`, `schema.name.adjustment.mode`.
    ///
    /// # Errors
    /// A missing or bad setting.
    pub fn logical_table(settings: &dyn Settings) -> Result<Self, String> {
        let topic = WholeMatch::new(
            "topic.regex",
            &settings.required("topic.regex")?,
            &settings.required("topic.replacement")?,
        )?;
        let key_identifier = match settings
            .get("key.field.regex")
            .filter(|r| !r.trim().is_empty())
        {
            Some(regex) => Some(WholeMatch::new(
                "key.field.regex",
                regex.trim(),
                settings
                    .get("key.field.replacement")
                    .filter(|r| !r.trim().is_empty())
                    .ok_or("key.field.replacement must be non-empty if key.field.regex is set")?
                    .trim(),
            )?),
            None => None,
        };
        let avro_names = match settings.get("schema.name.adjustment.mode").as_deref() {
            None | Some("none") => false,
            Some("avro") => true,
            Some(other) => {
                return Err(format!(
                    "schema.name.adjustment.mode={other}: expected none or avro"
                ));
            }
        };
        Ok(Router {
            topic,
            logical: Some(Logical {
                enforce_uniqueness: settings.flag("key.enforce.uniqueness", true)?,
                key_field: settings
                    .get("key.field.name")
                    .unwrap_or_else(|| "__dbz__physicalTableIdentifier".to_owned()),
                key_identifier,
                avro_names,
            }),
        })
    }

    /// `org.apache.kafka.connect.transforms.RegexRouter`: `regex`, `replacement`.
    ///
    /// # Errors
    /// A missing or bad setting.
    pub fn regex(settings: &dyn Settings) -> Result<Self, String> {
        Ok(Router {
            topic: WholeMatch::new(
                "regex",
                &settings.required("regex")?,
                &settings.get("replacement").unwrap_or_default(),
            )?,
            logical: None,
        })
    }

    /// The record, re-routed when its topic matches.
    ///
    /// # Errors
    /// A key or value that is not Debezium's JSON.
    pub fn apply(&self, mut record: Record) -> Result<Record, String> {
        let Some(topic) = self.topic.replace(&record.destination) else {
            return Ok(record);
        };
        let Some(logical) = &self.logical else {
            record.destination = topic;
            return Ok(record);
        };
        // Debezium keeps the record as it was when the new topic is empty.
        if topic.is_empty() {
            return Ok(record);
        }
        if let Some(key) = &record.key {
            record.key = Some(logical.key(key, &record.destination, &topic)?);
        }
        if record.operation.is_change()
            && let Some(value) = &record.value
        {
            record.value = Some(logical.value(value, &topic)?);
        }
        record.destination = topic;
        Ok(record)
    }
}

impl Logical {
    fn adjust(&self, name: String) -> String {
        if self.avro_names {
            avro_name(&name)
        } else {
            name
        }
    }

    /// The key with its schema named after `topic` and, with uniqueness
    /// enforced, the source's identifier added as a last field.
    fn key(&self, key: &str, old_topic: &str, topic: &str) -> Result<String, String> {
        let document = Document::parse(key).map_err(|e| format!("key: {e}"))?;
        let mut payload =
            RawObject::parse(document.payload.get()).map_err(|e| format!("key payload: {e}"))?;
        let identifier = self.enforce_uniqueness.then(|| {
            self.key_identifier
                .as_ref()
                .and_then(|m| m.replace(old_topic))
                .unwrap_or_else(|| old_topic.to_owned())
        });
        let mut text = String::new();
        let raw;
        if let Some(identifier) = &identifier {
            let mut quoted = String::new();
            write_str(identifier, &mut quoted);
            raw = serde_json::value::RawValue::from_string(quoted).map_err(|e| e.to_string())?;
            payload.members.retain(|(name, _)| *name != self.key_field);
            payload.members.push((self.key_field.as_str().into(), &raw));
        }
        payload.write(&mut text);
        let schema = document.schema.map(|mut schema| {
            schema["name"] = Value::from(self.adjust(format!("{topic}.Key")));
            if identifier.is_some()
                && let Some(fields) = schema.get_mut("fields").and_then(Value::as_array_mut)
            {
                fields.retain(|f| f["field"] != self.key_field.as_str());
                fields.push(serde_json::json!({
                    "type": "string", "optional": false, "field": self.key_field,
                }));
            }
            schema
        });
        Ok(Document::write(schema.as_ref(), &text))
    }

    /// A change event's value with its envelope and row schemas named after
    /// `topic` (`<topic>.Envelope`, `<topic>.Value`); the payload unchanged.
    fn value(&self, value: &str, topic: &str) -> Result<String, String> {
        let document = Document::parse(value).map_err(|e| format!("value: {e}"))?;
        let Some(mut schema) = document.schema else {
            return Ok(value.to_owned());
        };
        let row_name = self.adjust(format!("{topic}.Value"));
        let has_row =
            field_schema(&schema, "before").is_some() || field_schema(&schema, "after").is_some();
        if let Some(fields) = schema.get_mut("fields").and_then(Value::as_array_mut) {
            for field in fields {
                if has_row && (field["field"] == "before" || field["field"] == "after") {
                    field["name"] = Value::from(row_name.clone());
                }
            }
        }
        schema["name"] = Value::from(self.adjust(format!("{topic}.Envelope")));
        Ok(Document::write(Some(&schema), document.payload.get()))
    }
}

/// Debezium's `avro` schema name adjustment: characters Avro does not allow
/// in a name become `_` (and a leading digit is prefixed with `_`).
fn avro_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 1);
    for (i, c) in name.chars().enumerate() {
        let allowed =
            c == '_' || c == '.' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit());
        match () {
            () if allowed => out.push(c),
            () if i == 0 && c.is_ascii_digit() => {
                out.push('_');
                out.push(c);
            }
            () => out.push('_'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::Operation;

    fn settings(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn record(destination: &str, key: &str, value: &str) -> Record {
        Record {
            destination: destination.into(),
            key: Some(key.into()),
            value: Some(value.into()),
            headers: Vec::new(),
            operation: Operation::Create,
            schema: "s".into(),
            table: "t".into(),
            lsn: Some(1),
        }
    }

    #[test]
    fn the_logical_table_router_merges_and_marks_keys() {
        let router = Router::logical_table(&settings(&[
            ("topic.regex", r"(.*)\.shard_\d+"),
            ("topic.replacement", "$1.all"),
        ]))
        .unwrap();
        let key = r#"{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"}],"optional":false,"name":"p.s.shard_1.Key"},"payload":{"id":1}}"#;
        let value = r#"{"schema":{"type":"struct","fields":[{"type":"struct","fields":[],"optional":true,"name":"p.s.shard_1.Value","field":"before"},{"type":"struct","fields":[],"optional":true,"name":"p.s.shard_1.Value","field":"after"}],"optional":false,"name":"p.s.shard_1.Envelope","version":2},"payload":{"before":null,"after":{"id":1.50}}}"#;
        let out = router.apply(record("p.s.shard_1", key, value)).unwrap();
        assert_eq!(out.destination, "p.s.all");
        let key: Value = serde_json::from_str(out.key.as_deref().unwrap()).unwrap();
        assert_eq!(key["schema"]["name"], "p.s.all.Key");
        assert_eq!(
            key["payload"]["__dbz__physicalTableIdentifier"],
            "p.s.shard_1"
        );
        assert_eq!(
            key["schema"]["fields"][1]["field"],
            "__dbz__physicalTableIdentifier"
        );
        let value_text = out.value.unwrap();
        assert!(
            value_text.contains(r#""after":{"id":1.50}"#),
            "{value_text}"
        );
        let value: Value = serde_json::from_str(&value_text).unwrap();
        assert_eq!(value["schema"]["name"], "p.s.all.Envelope");
        assert_eq!(value["schema"]["fields"][1]["name"], "p.s.all.Value");
        // Not matching: unchanged.
        let other = record("p.s.other", "{}", "{}");
        assert_eq!(router.apply(other.clone()).unwrap(), other);
    }

    #[test]
    fn the_regex_router_renames_the_topic_only() {
        let router =
            Router::regex(&settings(&[("regex", "p\\.(.*)"), ("replacement", "q.$1")])).unwrap();
        let out = router
            .apply(record("p.s.t", r#"{"id":1}"#, r#"{"op":"c"}"#))
            .unwrap();
        assert_eq!(out.destination, "q.s.t");
        assert_eq!(out.key.as_deref(), Some(r#"{"id":1}"#));
        assert!(
            Router::regex(&settings(&[]))
                .unwrap_err()
                .contains("regex is required")
        );
    }
}
