//! The transform chain a configuration describes, with Debezium Server's
//! keys: `debezium.transforms=a,b` (applied in that order), each with
//! `debezium.transforms.<name>.type` and its options, an optional
//! `predicate` (a name of `debezium.predicates`) and `negate`; and
//! Spillway's `spillway.transforms.<name>.plugin=FILE.wasm` (with
//! `.timeout.ms` and `.memory.mb`) for a transform of the user's own.

use std::collections::BTreeMap;

use spillway_plugin::{Code, PluginSpec};

use super::predicate::Predicate;
use crate::config::{Config, ConfigError};
use crate::plugins;

/// Debezium's transforms that run a script (JSR 223: Groovy, JavaScript),
/// which Spillway replaces with plugins.
const SCRIPTED: &[&str] = &[
    "io.debezium.transforms.Filter",
    "io.debezium.transforms.ContentBasedRouter",
];

/// One transform of the chain.
#[derive(Debug, Clone)]
pub struct Step {
    /// Its name in `debezium.transforms`.
    pub name: String,
    /// The plugin that runs it, with its settings (`type` and options).
    pub spec: PluginSpec,
    /// The records it sees: those for which the predicate holds (or, with
    /// `negate`, does not); all when `None`.
    pub predicate: Option<(Predicate, bool)>,
}

/// Reads the chain; empty without `debezium.transforms`.
///
/// # Errors
/// A transform without a type or plugin, a type Spillway does not have, a
/// scripted transform (with the plugin that replaces it), bad options of a
/// built-in transform, a bad predicate, or a plugin setting for a
/// transform that is not in the list.
pub fn steps(config: &Config) -> Result<Vec<Step>, ConfigError> {
    let names = config.list("debezium.transforms");
    for key in config.under("spillway.transforms.").keys() {
        let name = key.split('.').next().unwrap_or_default();
        if !names.iter().any(|n| n == name) {
            return Err(ConfigError::Invalid {
                key: format!("spillway.transforms.{key}"),
                value: config
                    .get(&format!("spillway.transforms.{key}"))
                    .unwrap_or("")
                    .to_owned(),
                reason: format!(
                    "'{name}' is not in debezium.transforms ({}): add it where it belongs in \
                     the chain",
                    names.join(",")
                ),
            });
        }
    }
    names.iter().map(|name| step(config, name)).collect()
}

fn step(config: &Config, name: &str) -> Result<Step, ConfigError> {
    let prefix = format!("debezium.transforms.{name}.");
    let mut settings: BTreeMap<String, String> = config.under(&prefix);
    let predicate = settings.remove("predicate");
    let negate = settings.remove("negate");
    let plugin_prefix = format!("spillway.transforms.{name}");
    let spec = plugins::spec_under(config, &plugin_prefix, settings.clone())?;
    if matches!(spec.code, Code::Default) {
        check_builtin(name, &settings)?;
    }
    let negate = match negate.as_deref().map(str::trim) {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(ConfigError::Invalid {
                key: format!("{prefix}negate"),
                value: other.to_owned(),
                reason: "expected true or false".to_owned(),
            });
        }
    };
    let predicate = match predicate.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(predicate) => Some((Predicate::from_config(config, predicate)?, negate)),
    };
    Ok(Step {
        name: name.to_owned(),
        spec,
        predicate,
    })
}

/// Checks a built-in transform's type and options as the plugin will read
/// them, so that a mistake stops the configuration from loading.
fn check_builtin(name: &str, settings: &BTreeMap<String, String>) -> Result<(), ConfigError> {
    let key = format!("debezium.transforms.{name}.type");
    let Some(kind) = settings.get("type").map(|t| t.trim()) else {
        return Err(ConfigError::Missing {
            key,
            hint: format!(
                "the transform's class (built in: {}), or spillway.transforms.{name}.plugin=FILE.wasm \
                 for a plugin of your own",
                spillway_transforms::TYPES.join(", ")
            ),
        });
    };
    let invalid = |reason: String| ConfigError::Invalid {
        key: key.clone(),
        value: kind.to_owned(),
        reason,
    };
    if SCRIPTED.contains(&kind) {
        return Err(invalid(format!(
            "it runs a script (Groovy or JavaScript) inside Debezium's JVM, which Spillway has \
             not; write the condition as a transform plugin instead, in any language: \
             plugins/examples/js-filter and plugins/examples/python-filter drop the records a \
             condition rejects. Build one, then set spillway.transforms.{name}.plugin=filter.wasm \
             and its condition as debezium.transforms.{name}.<key> (docs/PLUGINS.md)"
        )));
    }
    spillway_transforms::Transform::configure(settings)
        .map(drop)
        .map_err(|reason| ConfigError::Invalid {
            key: format!("debezium.transforms.{name}.*"),
            value: kind.to_owned(),
            reason,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(entries: &[(&str, &str)]) -> Config {
        Config::of(entries)
    }

    fn error(entries: &[(&str, &str)]) -> String {
        steps(&config(entries)).unwrap_err().to_string()
    }

    #[test]
    fn a_chain_is_read_in_order_with_its_options_and_predicates() {
        let chain = steps(&config(&[
            ("debezium.transforms", "route, unwrap"),
            (
                "debezium.transforms.unwrap.type",
                "io.debezium.transforms.ExtractNewRecordState",
            ),
            ("debezium.transforms.unwrap.add.fields", "op"),
            ("debezium.transforms.unwrap.predicate", "orders"),
            ("debezium.transforms.unwrap.negate", "true"),
            (
                "debezium.transforms.route.type",
                "org.apache.kafka.connect.transforms.RegexRouter",
            ),
            ("debezium.transforms.route.regex", "(.*)"),
            ("debezium.transforms.route.replacement", "x.$1"),
            ("debezium.predicates", "orders"),
            (
                "debezium.predicates.orders.type",
                "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
            ),
            ("debezium.predicates.orders.pattern", ".*orders"),
            ("spillway.transforms.unwrap.timeout.ms", "250"),
        ]))
        .expect("a valid chain");
        let names: Vec<&str> = chain.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["route", "unwrap"]);
        let unwrap = &chain[1];
        assert_eq!(unwrap.spec.settings["add.fields"], "op");
        assert!(!unwrap.spec.settings.contains_key("predicate"));
        assert_eq!(unwrap.spec.limits.timeout.as_millis(), 250);
        assert!(matches!(
            unwrap.predicate,
            Some((Predicate::TopicNameMatches(_), true))
        ));
        assert!(chain[0].predicate.is_none());
    }

    #[test]
    fn every_mistake_in_a_chain_is_named_with_its_fix() {
        let unwrap = "io.debezium.transforms.ExtractNewRecordState";
        for (entries, expected) in [
            (
                vec![("debezium.transforms", "t")],
                "debezium.transforms.t.type",
            ),
            (
                vec![
                    ("debezium.transforms", "t"),
                    ("debezium.transforms.t.type", "com.example.Mine"),
                ],
                "not a built-in transform",
            ),
            (
                vec![
                    ("debezium.transforms", "t"),
                    (
                        "debezium.transforms.t.type",
                        "io.debezium.transforms.Filter",
                    ),
                    ("debezium.transforms.t.language", "jsr223.groovy"),
                ],
                "plugins/examples/js-filter",
            ),
            (
                vec![
                    ("debezium.transforms", "t"),
                    ("debezium.transforms.t.type", unwrap),
                    (
                        "debezium.transforms.t.delete.tombstone.handling.mode",
                        "keep",
                    ),
                ],
                "delete.tombstone.handling.mode=keep: expected one of drop, tombstone",
            ),
            (
                vec![
                    ("debezium.transforms", "t"),
                    ("debezium.transforms.t.type", unwrap),
                    ("debezium.transforms.t.predicate", "p"),
                ],
                "a transform names predicate 'p', which is not in this list",
            ),
            (
                vec![
                    ("debezium.transforms", "t"),
                    ("debezium.transforms.t.type", unwrap),
                    ("debezium.transforms.t.predicate", "p"),
                    ("debezium.predicates", "p"),
                    ("debezium.predicates.p.type", "com.example.Predicate"),
                ],
                "not a predicate Spillway has",
            ),
            (
                vec![
                    ("debezium.transforms", "t"),
                    ("debezium.transforms.t.type", unwrap),
                    ("spillway.transforms.other.plugin", "x.wasm"),
                ],
                "'other' is not in debezium.transforms",
            ),
        ] {
            let found = error(&entries);
            assert!(found.contains(expected), "{entries:?}: {found}");
        }
    }
}
