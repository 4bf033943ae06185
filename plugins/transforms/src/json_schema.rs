//! A Connect schema inferred from a JSON document, and the document as data
//! of that schema: what the outbox `EventRouter` does with
//! `table.expand.json.payload=true`, as Debezium 3's `JsonSchemaData` does it.
//!
//! - A string is an optional string; `true`/`false` an optional boolean; an
//!   integer an optional `int32` when it fits 32 bits, else `int64`; any
//!   other number an optional `float64` (Jackson's `IntNode`, `LongNode`,
//!   `DoubleNode`).
//! - An object is an optional struct named by its path from the payload
//!   (`payload`, `payload.address`), its members in order; a member whose
//!   schema cannot be told (a `null`, an empty array) is left out of the
//!   schema, and so of the data, unless `table.json.payload.null.behavior`
//!   / `table.json.payload.empty.array.behavior` say `optional_bytes` /
//!   `optional_string`.
//! - An array takes the schema of its first non-null element, every other
//!   element having the same JSON type (and, for numbers, the same schema);
//!   for objects, the schemas of every element are merged, members in the
//!   order they are first seen.
//!
//!   That merged struct is required (when there were several distinct ones).
//!
//! What Debezium cannot express fails the expansion, and the payload stays
//! the string it was: an array of mixed types, an integer wider than 64
//! bits, a member whose values differ in type across an array's objects, a
//! null among objects of different members. (Debezium 3.6.3 stops on the
//! last three, and on a top-level array, when it writes the event: its
//! inferred schema was kept while the payload stayed a string.)

use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::json::RawObject;

/// A JSON document as Jackson's tree reads it: numbers keep their text, so
/// an integer too wide for 64 bits is told from a floating-point number.
#[derive(Debug, Clone, PartialEq)]
enum Node {
    Null,
    Bool(bool),
    /// A number's JSON text.
    Number(String),
    String(String),
    Array(Vec<Node>),
    /// Members in order; a repeated member keeps its first place and its
    /// last value, as Jackson's `ObjectNode`.
    Object(Vec<(String, Node)>),
}

impl Node {
    fn parse(raw: &RawValue) -> Result<Node, String> {
        let text = raw.get();
        let invalid = |e: serde_json::Error| format!("not JSON: {e}");
        Ok(match text.as_bytes().first() {
            Some(b'{') => {
                let mut members: Vec<(String, Node)> = Vec::new();
                for (name, value) in RawObject::parse(text)?.members {
                    let value = Node::parse(value)?;
                    match members.iter_mut().find(|(n, _)| *n == name) {
                        Some(member) => member.1 = value,
                        None => members.push((name.into_owned(), value)),
                    }
                }
                Node::Object(members)
            }
            Some(b'[') => Node::Array(
                serde_json::from_str::<Vec<&RawValue>>(text)
                    .map_err(invalid)?
                    .into_iter()
                    .map(Node::parse)
                    .collect::<Result<_, _>>()?,
            ),
            Some(b'"') => Node::String(serde_json::from_str(text).map_err(invalid)?),
            Some(b't') => Node::Bool(true),
            Some(b'f') => Node::Bool(false),
            Some(b'n') => Node::Null,
            _ => Node::Number(text.to_owned()),
        })
    }

    /// What the node is, for messages.
    fn kind(&self) -> &'static str {
        match self {
            Node::Null => "null",
            Node::Bool(_) => "a boolean",
            Node::Number(_) => "a number",
            Node::String(_) => "a string",
            Node::Array(_) => "an array",
            Node::Object(_) => "an object",
        }
    }
}

/// A Connect schema; every schema inferred from JSON is optional but the
/// struct merged from an array's objects.
#[derive(Debug, Clone, PartialEq)]
pub enum Schema {
    /// `string`.
    String,
    /// `boolean`.
    Boolean,
    /// `int32`.
    Int32,
    /// `int64`.
    Int64,
    /// `float64` (`double` in JsonConverter's schema).
    Float64,
    /// `bytes`: a member that was `null` with `optional_bytes`.
    Bytes,
    /// An array of one element schema.
    Array(Box<Schema>),
    /// A struct: its name (the path from the payload, none inside an array
    /// of arrays) and its fields in order.
    Struct {
        /// The struct's name.
        name: Option<String>,
        /// Whether it may be null: not when merged from several schemas
        /// (Connect's `SchemaUtil.copySchemaBasics` leaves `optional` out).
        optional: bool,
        /// Field names and schemas.
        fields: Vec<(String, Schema)>,
    },
}

impl Schema {
    /// The schema as Kafka's JsonConverter writes it, with `field` when it is
    /// a struct's field.
    pub fn to_json(&self, field: Option<&str>) -> Value {
        let mut out = Map::new();
        let kind = match self {
            Schema::String => "string",
            Schema::Boolean => "boolean",
            Schema::Int32 => "int32",
            Schema::Int64 => "int64",
            Schema::Float64 => "double",
            Schema::Bytes => "bytes",
            Schema::Array(_) => "array",
            Schema::Struct { .. } => "struct",
        };
        out.insert("type".into(), kind.into());
        match self {
            Schema::Array(items) => {
                out.insert("items".into(), items.to_json(None));
            }
            Schema::Struct { fields, .. } => {
                let fields = fields
                    .iter()
                    .map(|(name, schema)| schema.to_json(Some(name)))
                    .collect();
                out.insert("fields".into(), Value::Array(fields));
            }
            _ => {}
        }
        let optional = !matches!(
            self,
            Schema::Struct {
                optional: false,
                ..
            }
        );
        out.insert("optional".into(), Value::Bool(optional));
        if let Schema::Struct {
            name: Some(name), ..
        } = self
        {
            out.insert("name".into(), name.as_str().into());
        }
        if let Some(field) = field {
            out.insert("field".into(), field.into());
        }
        Value::Object(out)
    }
}

/// How members a schema cannot be told for are treated.
#[derive(Debug, Clone, Copy, Default)]
pub struct Inference {
    /// `table.json.payload.null.behavior=optional_bytes`: a `null` member is
    /// an optional `bytes` field (default `ignore`: left out).
    pub null_as_bytes: bool,
    /// `table.json.payload.empty.array.behavior=optional_string`: an empty
    /// array is an array of optional strings (default `ignore`: left out).
    pub empty_array_as_strings: bool,
}

impl Inference {
    /// The payload column's text expanded: its schema (a struct named `name`)
    /// and its data as JSON text.
    ///
    /// # Errors
    /// When Debezium's expansion fails on it (the payload then stays a
    /// string): text that does not start with `{`, is not JSON, is a
    /// top-level array, or has a shape listed in the module's description.
    pub fn expand(&self, text: &str, name: &str) -> Result<(Schema, String), String> {
        if !text.starts_with('{') {
            return Err(match text.chars().next() {
                Some('[') => "a top-level array cannot be a struct".to_owned(),
                Some(c) => format!("it starts with '{c}', not '{{'"),
                None => "it is empty".to_owned(),
            });
        }
        let raw: &RawValue = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        let document = Node::parse(raw)?;
        let schema = self
            .schema(Some(name), &document)?
            .ok_or("no schema for it")?;
        let data = data(&document, &schema)?;
        Ok((schema, data.to_string()))
    }

    /// The schema of `node` at path `key` (`None` for a member it leaves out).
    fn schema(&self, key: Option<&str>, node: &Node) -> Result<Option<Schema>, String> {
        Ok(match node {
            Node::String(_) => Some(Schema::String),
            Node::Bool(_) => Some(Schema::Boolean),
            Node::Number(n) => Some(number_schema(n)?),
            Node::Null => self.null_as_bytes.then_some(Schema::Bytes),
            Node::Array(elements) if elements.is_empty() => self
                .empty_array_as_strings
                .then(|| Schema::Array(Box::new(Schema::String))),
            Node::Array(elements) => Some(Schema::Array(Box::new(self.element(key, elements)?))),
            Node::Object(members) => {
                let mut fields: Vec<(String, Schema)> = Vec::new();
                for (member, value) in members {
                    let path = match key {
                        Some(key) if !key.trim().is_empty() => format!("{key}.{member}"),
                        _ => member.clone(),
                    };
                    if let Some(schema) = self.schema(Some(&path), value)?
                        && !fields.iter().any(|(name, _)| name == member)
                    {
                        fields.push((member.clone(), schema));
                    }
                }
                Some(Schema::Struct {
                    name: key.map(str::to_owned),
                    optional: true,
                    fields,
                })
            }
        })
    }

    /// The element schema of a non-empty array.
    fn element(&self, key: Option<&str>, elements: &[Node]) -> Result<Schema, String> {
        let mut sample: Option<&Node> = None;
        for element in elements.iter().filter(|e| **e != Node::Null) {
            let Some(first) = sample else {
                sample = Some(element);
                continue;
            };
            if std::mem::discriminant(first) != std::mem::discriminant(element) {
                return Err(format!(
                    "an array of mixed types ({} and {})",
                    first.kind(),
                    element.kind()
                ));
            }
            if let (Node::Number(a), Node::Number(b)) = (first, element)
                && number_schema(a)? != number_schema(b)?
            {
                return Err(format!("an array of different number types ({a} and {b})"));
            }
        }
        let Some(sample) = sample else {
            return self
                .schema(None, &Node::Null)?
                .ok_or_else(|| "an array of nulls".to_owned());
        };
        if !matches!(sample, Node::Object(_)) {
            return self
                .schema(None, sample)?
                .ok_or_else(|| format!("an array of {}", sample.kind()));
        }
        // Each distinct object schema, merged in the order first seen.
        let mut merged: Option<Schema> = None;
        let mut seen: Vec<Schema> = Vec::new();
        for element in elements.iter().filter(|e| matches!(e, Node::Object(_))) {
            let Some(schema) = self.schema(key, element)? else {
                continue;
            };
            if seen.contains(&schema) {
                continue;
            }
            seen.push(schema.clone());
            merged = Some(match merged {
                None => schema,
                Some(left) => merge(left, schema),
            });
        }
        merged.ok_or_else(|| "an array without objects".to_owned())
    }
}

/// Two struct schemas as one, required: the left's fields, then the
/// right's new ones; a field both have keeps the left's schema unless that
/// is `bytes` (a null) and the right's is not.
fn merge(left: Schema, right: Schema) -> Schema {
    let (
        Schema::Struct {
            name,
            fields: mut merged,
            ..
        },
        Schema::Struct { fields, .. },
    ) = (left, right)
    else {
        unreachable!("only struct schemas are merged");
    };
    for (field, schema) in fields {
        match merged.iter_mut().find(|(name, _)| *name == field) {
            None => merged.push((field, schema)),
            Some(old) if old.1 == Schema::Bytes && schema != Schema::Bytes => old.1 = schema,
            Some(_) => {}
        }
    }
    Schema::Struct {
        name,
        optional: false,
        fields: merged,
    }
}

/// Jackson's node for a number's text, as a schema: `int32` (`IntNode`),
/// `int64` (`LongNode`) or `float64` (`DoubleNode`).
fn number_schema(text: &str) -> Result<Schema, String> {
    if text.contains(['.', 'e', 'E']) {
        return Ok(Schema::Float64);
    }
    match text.parse::<i64>() {
        Ok(i) if i32::try_from(i).is_ok() => Ok(Schema::Int32),
        Ok(_) => Ok(Schema::Int64),
        Err(_) => Err(format!("{text} is wider than 64 bits")),
    }
}

/// A number's text as Jackson writes its node: an integer's digits, a
/// double's shortest form.
fn number_value(text: &str, schema: &Schema) -> Option<Value> {
    match schema {
        Schema::Float64 => text
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number),
        _ => text.parse::<i64>().ok().map(Value::from),
    }
}

/// `node` as data of `schema`, as Connect's `Struct` takes it: a struct has
/// every field of its schema (`null` where the object has no such member).
fn data(node: &Node, schema: &Schema) -> Result<Value, String> {
    let mismatch = || {
        format!(
            "{} does not fit its schema {}",
            node.kind(),
            schema.to_json(None)
        )
    };
    Ok(match (node, schema) {
        (
            Node::Null,
            Schema::Struct {
                optional: false, ..
            },
        ) => return Err(mismatch()),
        (Node::Null, _) => Value::Null,
        (Node::String(s), Schema::String) => Value::from(s.as_str()),
        (Node::Bool(b), Schema::Boolean) => Value::Bool(*b),
        (Node::Number(n), _) if number_schema(n)? == *schema => {
            number_value(n, schema).ok_or_else(mismatch)?
        }
        (Node::Array(elements), Schema::Array(items)) => Value::Array(
            elements
                .iter()
                .map(|e| data(e, items))
                .collect::<Result<_, _>>()?,
        ),
        (Node::Object(members), Schema::Struct { fields, .. }) => Value::Object(
            fields
                .iter()
                .map(|(name, schema)| {
                    let member = members.iter().find(|(n, _)| n == name);
                    let value = member.map_or(Ok(Value::Null), |(_, v)| data(v, schema));
                    value.map(|v| (name.clone(), v))
                })
                .collect::<Result<_, _>>()?,
        ),
        _ => return Err(mismatch()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand(inference: Inference, text: &str) -> Result<(Value, Value), String> {
        let (schema, data) = inference.expand(text, "payload")?;
        Ok((schema.to_json(None), serde_json::from_str(&data).unwrap()))
    }

    /// Each field of a struct schema (as JSON) as name and type.
    fn field_types(schema: &Value) -> Vec<(&str, &str)> {
        schema["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["field"].as_str().unwrap(), f["type"].as_str().unwrap()))
            .collect()
    }

    #[test]
    fn members_become_fields_named_by_their_path() {
        let (schema, data) = expand(
            Inference::default(),
            r#"{"id":7,"big":3000000000,"price":1.5,"ok":true,"name":"a","gone":null,
                "empty":[],"address":{"city":"Oslo"},"tags":["x",null]}"#,
        )
        .unwrap();
        assert_eq!(
            field_types(&schema),
            [
                ("id", "int32"),
                ("big", "int64"),
                ("price", "double"),
                ("ok", "boolean"),
                ("name", "string"),
                ("address", "struct"),
                ("tags", "array")
            ]
        );
        assert_eq!(schema["name"], "payload");
        assert_eq!(schema["fields"][5]["name"], "payload.address");
        assert_eq!(
            data,
            serde_json::json!({"id":7,"big":3000000000_i64,"price":1.5,"ok":true,"name":"a",
                               "address":{"city":"Oslo"},"tags":["x",null]})
        );
    }

    #[test]
    fn nulls_and_empty_arrays_are_kept_when_configured() {
        let inference = Inference {
            null_as_bytes: true,
            empty_array_as_strings: true,
        };
        let (schema, data) = expand(inference, r#"{"gone":null,"empty":[]}"#).unwrap();
        assert_eq!(schema["fields"][0]["type"], "bytes");
        assert_eq!(schema["fields"][1]["items"]["type"], "string");
        assert_eq!(data, serde_json::json!({"gone":null,"empty":[]}));
    }

    #[test]
    fn objects_of_an_array_share_one_merged_schema() {
        let (schema, data) = expand(
            Inference {
                null_as_bytes: true,
                ..Inference::default()
            },
            r#"{"lines":[{"sku":"a","n":null},{"sku":"b","n":2,"note":"x"}]}"#,
        )
        .unwrap();
        let items = &schema["fields"][0]["items"];
        assert_eq!(items["name"], "payload.lines");
        assert_eq!(
            field_types(items),
            [("sku", "string"), ("n", "int32"), ("note", "string")]
        );
        assert_eq!(items["optional"], false);
        assert_eq!(
            data,
            serde_json::json!({"lines":[{"sku":"a","n":null,"note":null},{"sku":"b","n":2,"note":"x"}]})
        );
    }

    #[test]
    fn what_debezium_cannot_express_fails() {
        for text in [
            r#"{"a":[1,"x"]}"#,
            r#"{"a":[1,3000000000]}"#,
            r#"{"a":[null]}"#,
            r#"{"a":123456789012345678901234567890}"#,
            r#"{"a":[{"n":1},{"n":"x"}]}"#,
            r#"{"a":[{"n":1},null,{"m":1}]}"#,
            r#"[{"a":1}]"#,
            r#"not json"#,
            "",
            r#"{"a":1"#,
        ] {
            assert!(expand(Inference::default(), text).is_err(), "{text}");
        }
    }
}
