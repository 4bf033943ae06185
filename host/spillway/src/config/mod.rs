//! Spillway's configuration: a Java-properties file in Debezium Server's format,
//! overridden by environment variables, with every key checked against what
//! Spillway reads.
//!
//! - `properties`: reading the file (UTF-8, as Debezium Server reads it).
//! - [`keys`]: every key Spillway reads, with its default and meaning; a key
//!   nobody reads is an error that names the closest valid key.
//! - [`debezium`]: the Debezium Server keys (source, sink, offsets) with
//!   Debezium's defaults.
//! - `environment`: Debezium Server's override rule (`debezium.source.database.port`
//!   is overridden by `DEBEZIUM_SOURCE_DATABASE_PORT`).

pub mod debezium;
pub mod keys;

mod environment;
mod properties;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A configuration problem, with what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read configuration file '{}': {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a valid properties file.
    #[error("configuration file '{}', line {line}: {message}", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The line (0 when unknown).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// Keys that Spillway does not read.
    #[error("{}", unknown_keys_message(.0))]
    UnknownKeys(Vec<keys::UnknownKey>),
    /// Values Spillway cannot use.
    #[error("{}", invalid_values_message(.0))]
    InvalidValues(Vec<String>),
    /// A key a command needs is not set.
    #[error("configuration key '{key}' is not set: {hint}")]
    Missing {
        /// The key.
        key: String,
        /// What it should hold.
        hint: String,
    },
    /// A value Spillway cannot use.
    #[error("configuration key '{key}' = '{value}': {reason}")]
    Invalid {
        /// The key.
        key: String,
        /// Its value.
        value: String,
        /// What is wrong and what is accepted.
        reason: String,
    },
}

fn unknown_keys_message(unknown: &[keys::UnknownKey]) -> String {
    let lines: Vec<String> = unknown.iter().map(|u| format!("  - {u}")).collect();
    format!(
        "the configuration has {} key(s) that Spillway does not read (an unread key is \
         usually a typo that would silently change behaviour):\n{}",
        unknown.len(),
        lines.join("\n")
    )
}

fn invalid_values_message(problems: &[String]) -> String {
    let lines: Vec<String> = problems.iter().map(|p| format!("  - {p}")).collect();
    format!(
        "the configuration has {} invalid value(s):\n{}",
        problems.len(),
        lines.join("\n")
    )
}

/// Where a value came from, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A line of the configuration file.
    File {
        /// The line number.
        line: usize,
    },
    /// An environment variable.
    Environment(String),
    /// Spillway's default.
    Default,
}

/// A validated configuration.
#[derive(Debug, Clone, Default)]
pub struct Config {
    values: BTreeMap<String, (String, Origin)>,
}

impl Config {
    /// Reads `path`, applies environment overrides from the process
    /// environment, and checks every key.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let file = properties::read(path)?;
        Self::build(file, std::env::vars())
    }

    /// A configuration from explicit entries and environment (for tests).
    pub fn build(
        file: Vec<(String, String, usize)>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let mut values: BTreeMap<String, (String, Origin)> = file
            .into_iter()
            .map(|(key, value, line)| (key, (value, Origin::File { line })))
            .collect();
        environment::apply(&mut values, env);
        let unknown: Vec<keys::UnknownKey> = values
            .iter()
            .filter_map(|(key, (_, origin))| keys::check(key, origin).err())
            .collect();
        if !unknown.is_empty() {
            return Err(ConfigError::UnknownKeys(unknown));
        }
        let mut problems: Vec<String> = values
            .iter()
            .filter_map(|(key, (value, origin))| {
                let reason = keys::find(key)?.value.check(value).err()?;
                Some(format!("'{key}' = '{value}' ({origin}): {reason}"))
            })
            .collect();
        problems.extend(debezium::check_together(|key| values.contains_key(key)));
        if !problems.is_empty() {
            return Err(ConfigError::InvalidValues(problems));
        }
        // A choice of words is read as the table spells it, so `Stdout`
        // means what `stdout` does everywhere.
        for (key, (value, _)) in &mut values {
            if let Some(word) = keys::find(key).and_then(|k| k.value.canonical(value)) {
                *value = word.to_owned();
            }
        }
        Ok(Self { values })
    }

    /// The value of `key`, or its documented default.
    pub fn get(&self, key: &str) -> Option<&str> {
        match self.values.get(key) {
            Some((value, _)) => Some(value),
            None => keys::find(key).and_then(|k| k.default),
        }
    }

    /// The value of `key` parsed as a number, with a clear error.
    pub fn get_u64(&self, key: &str) -> Result<Option<u64>, ConfigError> {
        self.get(key)
            .map(|value| {
                value.trim().parse().map_err(|_| ConfigError::Invalid {
                    key: key.to_owned(),
                    value: value.to_owned(),
                    reason: "expected a whole number".to_owned(),
                })
            })
            .transpose()
    }

    /// The comma-separated values of `key` (or its default), trimmed, empty ones left out.
    pub fn list(&self, key: &str) -> Vec<String> {
        self.get(key)
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// Every key under `prefix`, with the prefix removed.
    pub fn under(&self, prefix: &str) -> BTreeMap<String, String> {
        self.values
            .range(prefix.to_owned()..)
            .take_while(|(key, _)| key.starts_with(prefix))
            .map(|(key, (value, _))| (key[prefix.len()..].to_owned(), value.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(entries: &[(&str, &str)]) -> Vec<(String, String, usize)> {
        entries
            .iter()
            .enumerate()
            .map(|(i, (k, v))| (k.to_string(), v.to_string(), i + 1))
            .collect()
    }

    #[test]
    fn a_misspelled_key_names_the_closest_valid_one() {
        let err = Config::build(file(&[("spillway.mapper.plugn", "x.wasm")]), []).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("'spillway.mapper.plugn' (line 1)"), "{text}");
        assert!(
            text.contains("did you mean 'spillway.mapper.plugin'"),
            "{text}"
        );
    }

    #[test]
    fn a_choice_of_words_is_read_without_case() {
        let config = Config::build(
            file(&[
                ("debezium.sink.type", "Stdout"),
                ("spillway.forward.starting.position", "latest"),
            ]),
            [],
        )
        .expect("valid");
        assert_eq!(config.get("debezium.sink.type"), Some("stdout"));
        assert_eq!(
            config.get("spillway.forward.starting.position"),
            Some("LATEST")
        );
    }

    #[test]
    fn the_reference_typo_is_caught() {
        let err =
            Config::build(file(&[("debezium.source.column.exculde.list", "x")]), []).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("did you mean 'debezium.source.column.exclude.list'?"),
            "{text}"
        );
    }

    #[test]
    fn values_are_checked_against_what_each_key_accepts() {
        let err = Config::build(
            file(&[
                ("debezium.source.snapshot.mode", "sometimes"),
                ("debezium.source.tombstones.on.delete", "yes"),
                ("debezium.source.table.include.list", "inventory.(products"),
                ("debezium.source.plugin.name", "decoderbufs"),
                ("debezium.source.database.port", "fivefourthreetwo"),
            ]),
            [],
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("5 invalid value(s)"), "{text}");
        assert!(text.contains("'debezium.source.snapshot.mode' = 'sometimes' (line 1): expected one of: initial, no_data"), "{text}");
        assert!(text.contains("expected true or false"), "{text}");
        assert!(
            text.contains("'inventory.(products' is not a regular expression"),
            "{text}"
        );
        assert!(text.contains("expected one of: pgoutput"), "{text}");
        assert!(text.contains("expected a whole number"), "{text}");
    }

    #[test]
    fn an_include_list_and_its_exclude_list_are_not_both_accepted() {
        let err = Config::build(
            file(&[
                ("debezium.source.table.include.list", "inventory.products"),
                ("debezium.source.table.exclude.list", "inventory.orders"),
            ]),
            [],
        )
        .unwrap_err();
        assert!(err.to_string().contains("are both set"), "{err}");
    }

    #[test]
    fn debezium_defaults_apply() {
        let config =
            Config::build(file(&[("debezium.source.topic.prefix", "kinesis")]), []).unwrap();
        assert_eq!(config.get("debezium.source.slot.name"), Some("debezium"));
        assert_eq!(
            config.get("debezium.source.publication.name"),
            Some("dbz_publication")
        );
        assert_eq!(config.get("debezium.source.snapshot.mode"), Some("initial"));
        assert_eq!(config.get("debezium.source.database.port"), Some("5432"));
    }

    #[test]
    fn a_debezium_key_spillway_does_not_read_yet_says_so() {
        let err =
            Config::build(file(&[("debezium.source.poll.interval.ms", "5")]), []).unwrap_err();
        assert!(
            err.to_string().contains("Spillway does not support"),
            "{err}"
        );
    }

    #[test]
    fn environment_overrides_the_file_debezium_style() {
        let config = Config::build(
            file(&[("spillway.transformer.timeout.ms", "100")]),
            [(
                "SPILLWAY_TRANSFORMER_TIMEOUT_MS".to_owned(),
                "250".to_owned(),
            )],
        )
        .unwrap();
        assert_eq!(
            config.get_u64("spillway.transformer.timeout.ms").unwrap(),
            Some(250)
        );
        assert_eq!(config.get("spillway.consumer.plugin"), Some("default"));
    }

    #[test]
    fn plugin_settings_are_read_under_their_prefix() {
        let config = Config::build(
            file(&[
                (
                    "spillway.transformer.config.bus.kinesis.inventory.products",
                    "products",
                ),
                ("spillway.transformer.plugin", "default"),
            ]),
            [],
        )
        .unwrap();
        let settings = config.under("spillway.transformer.config.");
        assert_eq!(settings.len(), 1);
        assert_eq!(settings["bus.kinesis.inventory.products"], "products");
    }

    #[test]
    fn numbers_are_checked_when_the_file_is_loaded() {
        let err = Config::build(file(&[("spillway.mapper.memory.mb", "lots")]), []).unwrap_err();
        assert!(
            err.to_string()
                .contains("'spillway.mapper.memory.mb' = 'lots' (line 1): expected a whole number"),
            "{err}"
        );
        let from_env = Config::build(
            file(&[]),
            [("SPILLWAY_CONSUMER_WORKERS".to_owned(), "many".to_owned())],
        )
        .unwrap_err();
        assert!(
            from_env
                .to_string()
                .contains("(environment variable SPILLWAY_CONSUMER_WORKERS)"),
            "{from_env}"
        );
    }
}
