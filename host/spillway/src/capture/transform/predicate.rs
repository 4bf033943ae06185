//! Kafka Connect's predicates, which choose the records a transform sees
//! (`debezium.predicates.<name>.type`, and a transform's `predicate` and
//! `negate`): `TopicNameMatches` (`pattern`, a Java regular expression
//! matching the whole destination), `RecordIsTombstone` and `HasHeaderKey`
//! (`name`). Source: Kafka's `org.apache.kafka.connect.transforms.predicates`.

use regex::Regex;
use spillway_plugin::transform::ChangeRecord;

use crate::config::{Config, ConfigError};

const TOPIC_NAME_MATCHES: &str = "org.apache.kafka.connect.transforms.predicates.TopicNameMatches";
const RECORD_IS_TOMBSTONE: &str =
    "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone";
const HAS_HEADER_KEY: &str = "org.apache.kafka.connect.transforms.predicates.HasHeaderKey";

/// A configured predicate.
#[derive(Debug, Clone)]
pub enum Predicate {
    /// The destination matches, as a whole, this pattern.
    TopicNameMatches(Regex),
    /// The record has no value.
    RecordIsTombstone,
    /// The record has a header of this name.
    HasHeaderKey(String),
}

impl Predicate {
    /// Predicate `name` of `debezium.predicates`, from its keys.
    ///
    /// # Errors
    /// A name not in `debezium.predicates`, an unknown type, a missing or
    /// bad setting.
    pub fn from_config(config: &Config, name: &str) -> Result<Self, ConfigError> {
        let key = |suffix: &str| format!("debezium.predicates.{name}.{suffix}");
        if !config.list("debezium.predicates").iter().any(|p| p == name) {
            return Err(ConfigError::Invalid {
                key: "debezium.predicates".to_owned(),
                value: config.get("debezium.predicates").unwrap_or("").to_owned(),
                reason: format!(
                    "a transform names predicate '{name}', which is not in this list: add it, \
                     and set {}",
                    key("type")
                ),
            });
        }
        let required = |suffix: &str| {
            config
                .get(&key(suffix))
                .filter(|v| !v.trim().is_empty())
                .ok_or_else(|| ConfigError::Missing {
                    key: key(suffix),
                    hint: format!("predicate '{name}' needs it"),
                })
        };
        match required("type")?.trim() {
            TOPIC_NAME_MATCHES => {
                let pattern = required("pattern")?;
                Regex::new(&format!("^(?:{pattern})$"))
                    .map(Predicate::TopicNameMatches)
                    .map_err(|e| ConfigError::Invalid {
                        key: key("pattern"),
                        value: pattern.to_owned(),
                        reason: format!("not a supported regular expression: {e}"),
                    })
            }
            RECORD_IS_TOMBSTONE => Ok(Predicate::RecordIsTombstone),
            HAS_HEADER_KEY => Ok(Predicate::HasHeaderKey(required("name")?.to_owned())),
            other => Err(ConfigError::Invalid {
                key: key("type"),
                value: other.to_owned(),
                reason: format!(
                    "not a predicate Spillway has (it has {TOPIC_NAME_MATCHES}, \
                     {RECORD_IS_TOMBSTONE} and {HAS_HEADER_KEY})"
                ),
            }),
        }
    }

    /// Whether `record` satisfies the predicate.
    pub fn test(&self, record: &ChangeRecord) -> bool {
        match self {
            Predicate::TopicNameMatches(regex) => regex.is_match(&record.destination),
            Predicate::RecordIsTombstone => record.value.is_none(),
            Predicate::HasHeaderKey(name) => record.headers.iter().any(|(n, _)| n == name),
        }
    }
}
