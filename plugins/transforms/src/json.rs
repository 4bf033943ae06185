//! Debezium's JSON, read without re-encoding what a transform does not
//! change: an object is a list of its members' raw texts, so numbers,
//! strings and nested objects leave a transform byte for byte as they came.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{MapAccess, Visitor};
use serde_json::value::RawValue;

/// A JSON object's members, in order, each value as its raw text.
#[derive(Debug, Clone, Default)]
pub struct RawObject<'a> {
    /// Name and raw value of each member.
    pub members: Vec<(Cow<'a, str>, &'a RawValue)>,
}

impl<'a> RawObject<'a> {
    /// Parses `text`, which must be a JSON object.
    ///
    /// # Errors
    /// When `text` is not a JSON object.
    pub fn parse(text: &'a str) -> Result<Self, String> {
        serde_json::from_str(text).map_err(|e| format!("not a JSON object: {e}"))
    }

    /// The raw value of member `name`.
    pub fn get(&self, name: &str) -> Option<&'a RawValue> {
        self.members
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| *v)
    }

    /// Member `name` parsed as an object, `None` when absent or null.
    ///
    /// # Errors
    /// When the member is there but not an object.
    pub fn object(&self, name: &str) -> Result<Option<RawObject<'a>>, String> {
        match self.get(name) {
            Some(raw) if !is_null(raw) => RawObject::parse(raw.get())
                .map(Some)
                .map_err(|e| format!("'{name}' is {e}")),
            _ => Ok(None),
        }
    }

    /// The JSON text of the object, members in order.
    pub fn write(&self, out: &mut String) {
        out.push('{');
        for (i, (name, value)) in self.members.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_str(name, out);
            out.push(':');
            out.push_str(value.get());
        }
        out.push('}');
    }
}

impl<'de> Deserialize<'de> for RawObject<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Members;
        impl<'de> Visitor<'de> for Members {
            type Value = RawObject<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
                let mut members = Vec::new();
                while let Some((name, value)) = map.next_entry::<Cow<'de, str>, &'de RawValue>()? {
                    members.push((name, value));
                }
                Ok(RawObject { members })
            }
        }
        deserializer.deserialize_map(Members)
    }
}

/// Whether a raw value is `null`.
pub fn is_null(raw: &RawValue) -> bool {
    raw.get() == "null"
}

/// `text` as a JSON string.
pub fn write_str(text: &str, out: &mut String) {
    out.push_str(&serde_json::Value::from(text).to_string());
}

/// A raw value's text as a string when it is a JSON string (`"a"` -> `a`).
pub fn as_str(raw: &RawValue) -> Option<String> {
    serde_json::from_str::<String>(raw.get()).ok()
}

/// A key or value as Debezium's JSON converter writes it: with its schema
/// (`{"schema":...,"payload":...}`) or as the payload alone.
#[derive(Debug)]
pub struct Document<'a> {
    /// The Connect schema, when the document carries it.
    pub schema: Option<serde_json::Value>,
    /// The payload's raw text.
    pub payload: &'a RawValue,
}

impl<'a> Document<'a> {
    /// Reads a key or value. `enveloped` tells whether the payload alone
    /// could itself look like `{"schema":..,"payload":..}` (a key whose
    /// columns are named so): a document carries its schema when its
    /// top-level members are exactly `schema` (a Connect struct schema) and
    /// `payload`.
    ///
    /// # Errors
    /// When `text` is not JSON.
    pub fn parse(text: &'a str) -> Result<Self, String> {
        let raw: &RawValue = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        if raw.get().starts_with('{')
            && let Ok(top) = RawObject::parse(raw.get())
            && top.members.len() == 2
            && let (Some(schema), Some(payload)) = (top.get("schema"), top.get("payload"))
            && schema.get().starts_with('{')
        {
            let schema: serde_json::Value =
                serde_json::from_str(schema.get()).map_err(|e| format!("schema: {e}"))?;
            if schema.get("type").is_some() {
                return Ok(Document {
                    schema: Some(schema),
                    payload,
                });
            }
        }
        Ok(Document {
            schema: None,
            payload: raw,
        })
    }

    /// The document's text with `payload` (and the schema, when it has one,
    /// replaced by `schema`).
    pub fn write(schema: Option<&serde_json::Value>, payload: &str) -> String {
        match schema {
            Some(schema) => format!(r#"{{"schema":{schema},"payload":{payload}}}"#),
            None => payload.to_owned(),
        }
    }
}

/// The schema of struct field `name` in struct schema `schema`.
pub fn field_schema<'s>(
    schema: &'s serde_json::Value,
    name: &str,
) -> Option<&'s serde_json::Value> {
    schema
        .get("fields")?
        .as_array()?
        .iter()
        .find(|f| f.get("field").and_then(serde_json::Value::as_str) == Some(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_keep_their_members_byte_for_byte() {
        let text = r#"{"a":1.50,"b":{"c":"\u00e9"},"d\"":null}"#;
        let object = RawObject::parse(text).unwrap();
        assert_eq!(object.get("a").unwrap().get(), "1.50");
        assert!(is_null(object.get("d\"").unwrap()));
        let mut out = String::new();
        object.write(&mut out);
        assert_eq!(out, r#"{"a":1.50,"b":{"c":"\u00e9"},"d\"":null}"#);
    }

    #[test]
    fn documents_with_and_without_schema() {
        let with = Document::parse(r#"{"schema":{"type":"struct"},"payload":{"id":1}}"#).unwrap();
        assert!(with.schema.is_some());
        assert_eq!(with.payload.get(), r#"{"id":1}"#);
        // A key whose columns are named schema and payload is a payload.
        let key = Document::parse(r#"{"schema":"s","payload":"p"}"#).unwrap();
        assert!(key.schema.is_none());
    }
}
