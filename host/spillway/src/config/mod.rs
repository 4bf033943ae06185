//! Spillway's configuration: a Java-properties file in Debezium Server's format,
//! overridden by environment variables, with every key checked against what
//! Spillway reads.
//!
//! - `properties`: reading the file (UTF-8, as Debezium Server reads it).
//! - [`keys`]: every key Spillway reads, with its default and meaning; a key
//!   nobody reads is an error that names the closest valid key.
//! - [`debezium`]: the Debezium Server keys (source, sink, offsets) with
//!   Debezium's defaults.
//! - [`families`]: the Debezium Server keys Spillway does not read, by family:
//!   accepted without effect (logged), deprecated names read as their new
//!   ones, or refused with the reason.
//! - `environment`: Debezium Server's override rule (`debezium.source.database.port`
//!   is overridden by `DEBEZIUM_SOURCE_DATABASE_PORT`).
//! - [`expand`]: `${NAME}` and `${NAME:default}` in values, as MicroProfile
//!   Config expands them.
//!
//! - [`reference`]: the Debezium tables of docs/CONFIGURATION.md, rendered
//!   from the above.
//!
//! Loading lists every problem at once (unknown keys, refused families,
//! unset `${...}` names, invalid values), each with its line or variable.

pub mod debezium;
pub mod expand;
pub mod families;
pub mod keys;
pub mod reference;

mod environment;
mod properties;

use std::collections::{BTreeMap, BTreeSet};
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
    /// Keys Spillway does not read or refuses, and values it cannot use:
    /// each with where it was set and how to fix it.
    #[error("{}", problems_message(.0))]
    Problems(Vec<String>),
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

fn problems_message(problems: &[String]) -> String {
    let lines: Vec<String> = problems.iter().map(|p| format!("  - {p}")).collect();
    format!(
        "the configuration has {} problem(s):\n{}",
        problems.len(),
        lines.join("\n")
    )
}

/// Something about the configuration worth a log line at start: a key
/// accepted without effect, a deprecated name read as its new one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// Whether it is logged as a warning (else as information).
    pub warning: bool,
    /// What to say.
    pub text: String,
}

impl Notice {
    fn info(text: String) -> Self {
        Notice {
            warning: false,
            text,
        }
    }

    fn warning(text: String) -> Self {
        Notice {
            warning: true,
            text,
        }
    }
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
    notices: Vec<Notice>,
}

impl Config {
    /// Reads `path`, applies environment overrides from the process
    /// environment, and checks every key.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let file = properties::read(path)?;
        Self::build(file, std::env::vars())
    }

    /// A configuration from explicit entries and environment (for tests).
    /// Every problem is reported at once.
    pub fn build(
        file: Vec<(String, String, usize)>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let env: BTreeMap<String, String> = env.into_iter().collect();
        let mut values: BTreeMap<String, (String, Origin)> = file
            .into_iter()
            .map(|(key, value, line)| (key, (value, Origin::File { line })))
            .collect();
        let mut notices = Vec::new();
        environment::apply(&mut values, &env, &mut notices);
        let (mut problems, unexpanded) = expand_values(&mut values, &env);
        // A value that could not be expanded is reported once, not checked
        // again under its key or a new name of it.
        values.retain(|key, _| !unexpanded.contains(key));
        problems.extend(sort_keys(&mut values, &mut notices));
        problems.extend(log_categories(&values, &mut notices));
        for (key, old, new) in families::RENAMED_VALUES {
            if let Some((value, origin)) = values.get_mut(*key)
                && value.trim().eq_ignore_ascii_case(old)
            {
                notices.push(Notice::info(format!(
                    "'{key}' = '{old}' ({origin}) is Debezium's old name of '{new}'; read as '{new}'"
                )));
                *value = (*new).to_owned();
            }
        }
        problems.extend(values.iter().filter_map(|(key, (value, origin))| {
            let reason = keys::find(key)?.value.check(value).err()?;
            Some(format!("'{key}' = '{value}' ({origin}): {reason}"))
        }));
        problems.extend(debezium::check_together(|key| values.contains_key(key)));
        if !problems.is_empty() {
            return Err(ConfigError::Problems(problems));
        }
        // A choice of words is read as the table spells it, so `Stdout`
        // means what `stdout` does everywhere.
        for (key, (value, _)) in &mut values {
            if let Some(word) = keys::find(key).and_then(|k| k.value.canonical(value)) {
                *value = word.to_owned();
            }
        }
        Ok(Self { values, notices })
    }

    /// A configuration of `entries` (key, value), as lines 1, 2, ... of a
    /// file, without environment. For unit tests.
    ///
    /// # Panics
    /// When the entries are not a valid configuration.
    #[cfg(test)]
    pub(crate) fn of(entries: &[(&str, &str)]) -> Self {
        let file = entries
            .iter()
            .enumerate()
            .map(|(i, (k, v))| (k.to_string(), v.to_string(), i + 1))
            .collect();
        Self::build(file, []).expect("a valid configuration")
    }

    /// What loading found worth a log line (keys without effect, old names).
    pub fn notices(&self) -> &[Notice] {
        &self.notices
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

    /// The value of `key` (or its default) as a number within `min..=max`;
    /// an error names the range.
    pub fn get_u64_within(
        &self,
        key: &str,
        min: u64,
        max: u64,
    ) -> Result<Option<u64>, ConfigError> {
        match self.get_u64(key)? {
            Some(value) if !(min..=max).contains(&value) => Err(ConfigError::Invalid {
                key: key.to_owned(),
                value: value.to_string(),
                reason: format!("expected {min} to {max}"),
            }),
            value => Ok(value),
        }
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

/// Expands `${...}` in every value; returns the problems, and the keys whose
/// value could not be expanded (their value is not checked further).
fn expand_values(
    values: &mut BTreeMap<String, (String, Origin)>,
    env: &BTreeMap<String, String>,
) -> (Vec<String>, BTreeSet<String>) {
    let raw: BTreeMap<String, String> = values
        .iter()
        .map(|(key, (value, _))| (key.clone(), value.clone()))
        .collect();
    let mut problems = Vec::new();
    let mut unexpanded = BTreeSet::new();
    for (key, (value, origin)) in values.iter_mut() {
        match expand::expand(value, &raw, env) {
            Ok(expanded) => *value = expanded,
            Err(reason) => {
                problems.push(format!("'{key}' ({origin}): {reason}"));
                unexpanded.insert(key.clone());
            }
        }
    }
    (problems, unexpanded)
}

/// Checks `quarkus.log.category."<category>".level` values against Quarkus'
/// level names (returns the problems), and says which categories have no
/// effect: only Debezium's (`io.debezium` and below) set Spillway's levels.
fn log_categories(
    values: &BTreeMap<String, (String, Origin)>,
    notices: &mut Vec<Notice>,
) -> Vec<String> {
    let levels = keys::find("quarkus.log.level").map(|k| k.value);
    let mut problems = Vec::new();
    for (key, (value, origin)) in values.range("quarkus.log.category.".to_owned()..) {
        let Some(rest) = key.strip_prefix("quarkus.log.category.") else {
            break;
        };
        let Some(category) = rest.strip_suffix(".level").map(|c| c.trim_matches('"')) else {
            continue;
        };
        if let Some(Err(reason)) = levels.map(|l| l.check(value)) {
            problems.push(format!("'{key}' = '{value}' ({origin}): {reason}"));
        } else if category != "io.debezium" && !category.starts_with("io.debezium.") {
            notices.push(Notice::info(format!(
                "'{key}' ({origin}) has no effect: it names a Java package; only Debezium's \
                 categories (io.debezium and below) set the level of Spillway's own lines"
            )));
        }
    }
    problems
}

/// Sorts the keys Spillway does not read: a family without effect is
/// dropped with a notice, an old name moves to its new one, a refused family
/// or an unknown key is a problem (returned). Keys of a Debezium Server sink
/// Spillway does not have are left to the problem `debezium.sink.type` is.
fn sort_keys(
    values: &mut BTreeMap<String, (String, Origin)>,
    notices: &mut Vec<Notice>,
) -> Vec<String> {
    let other_sink = values
        .get("debezium.sink.type")
        .map(|(sink, _)| sink.trim().to_ascii_lowercase())
        .filter(|sink| !["kinesis", "stdout"].contains(&sink.as_str()))
        .map(|sink| format!("debezium.sink.{sink}."));
    let mut problems = Vec::new();
    let unread: Vec<String> = values
        .keys()
        .filter(|key| !keys::is_read(key))
        .cloned()
        .collect();
    for key in unread {
        let Some((value, origin)) = values.remove(&key) else {
            continue;
        };
        if other_sink
            .as_ref()
            .is_some_and(|sink| key.starts_with(sink))
        {
            continue;
        }
        match families::find(&key).map(|f| f.treatment) {
            Some(families::Treatment::NoEffect(why)) => {
                notices.push(Notice::info(format!(
                    "'{key}' ({origin}) has no effect: {why}"
                )));
            }
            Some(families::Treatment::Renamed(new)) if values.contains_key(new) => {
                notices.push(Notice::warning(format!(
                    "'{key}' ({origin}) has no effect: it is Debezium's old name of '{new}', \
                     which is set too and wins, as in Debezium"
                )));
            }
            Some(families::Treatment::Renamed(new)) => {
                notices.push(Notice::info(format!(
                    "'{key}' ({origin}) is Debezium's old name of '{new}'; read as '{new}'"
                )));
                values.insert(new.to_owned(), (value, origin));
            }
            Some(families::Treatment::Refused(why)) => {
                problems.push(format!("'{key}' ({origin}): {why}"));
            }
            None => problems.push(keys::unknown(&key, &origin).to_string()),
        }
    }
    problems
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
        assert!(text.contains("5 problem(s)"), "{text}");
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
    fn a_debezium_key_that_would_change_events_is_refused_with_why() {
        let err = Config::build(
            file(&[(
                "debezium.source.column.mask.with.12.chars",
                "inventory.customers.email",
            )]),
            [],
        )
        .unwrap_err();
        assert!(err.to_string().contains("not supported yet"), "{err}");
    }

    #[test]
    fn every_problem_is_listed_at_once_keys_and_values_together() {
        let err = Config::build(
            file(&[
                ("debezium.source.database.hostnme", "db"),
                ("debezium.source.database.port", "${PG_PORT}"),
                ("debezium.source.snapshot.mode", "sometimes"),
                ("debezium.source.signal.data.collection", "s.signals"),
                ("debezium.format.value", "avro"),
            ]),
            [],
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("5 problem(s)"), "{text}");
        assert!(
            text.contains("did you mean 'debezium.source.database.hostname'"),
            "{text}"
        );
        assert!(text.contains("'${PG_PORT}' names neither"), "{text}");
        assert!(text.contains("expected one of: initial"), "{text}");
        assert!(text.contains("not supported yet"), "{text}");
        assert!(text.contains("'avro' is not supported"), "{text}");
    }

    #[test]
    fn a_misspelled_key_of_the_sink_in_use_is_caught_and_another_sinks_keys_are_not_listed() {
        let err = Config::build(
            file(&[
                ("debezium.sink.type", "kinesis"),
                ("debezium.sink.kinesis.regoin", "us-east-1"),
            ]),
            [],
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("did you mean 'debezium.sink.kinesis.region'"),
            "{err}"
        );
        let kafka = Config::build(
            file(&[
                ("debezium.sink.type", "kafka"),
                ("debezium.sink.kafka.producer.acks", "all"),
            ]),
            [],
        )
        .unwrap_err()
        .to_string();
        assert!(kafka.contains("1 problem(s)"), "{kafka}");
        assert!(kafka.contains("'kafka' sink is not supported"), "{kafka}");
    }

    #[test]
    fn log_categories_are_checked_and_those_without_effect_said() {
        let err = Config::build(
            file(&[("quarkus.log.category.\"io.debezium\".level", "DEBG")]),
            [],
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("expected one of: OFF, FATAL"),
            "{err}"
        );
        let config = Config::build(
            file(&[("quarkus.log.category.\"org.apache.kafka\".level", "WARN")]),
            [],
        )
        .expect("valid");
        assert!(
            config.notices()[0]
                .text
                .contains("has no effect: it names a Java package"),
            "{:?}",
            config.notices()
        );
    }

    #[test]
    fn flags_and_words_are_read_without_surrounding_spaces_or_case() {
        let config = Config::build(
            file(&[
                ("quarkus.log.console.json", "TRUE "),
                ("spillway.forward.permanent.error.handling.mode", "Retry "),
            ]),
            [],
        )
        .expect("valid");
        assert_eq!(config.get("quarkus.log.console.json"), Some("true"));
        assert_eq!(
            config.get("spillway.forward.permanent.error.handling.mode"),
            Some("retry")
        );
    }

    #[test]
    fn keys_without_effect_and_old_names_are_accepted_and_said() {
        let config = Config::build(
            file(&[
                (
                    "debezium.source.offset.storage.file.filename",
                    "data/offsets.dat",
                ),
                (
                    "debezium.source.database.history.file.filename",
                    "data/history.dat",
                ),
                ("debezium.source.database.server.name", "legacy"),
                ("debezium.source.table.whitelist", "inventory.products"),
                ("debezium.source.snapshot.mode", "never"),
                ("quarkus.log.console.json", "false"),
                ("quarkus.banner.enabled", "false"),
            ]),
            [],
        )
        .expect("valid");
        assert_eq!(config.get("debezium.source.topic.prefix"), Some("legacy"));
        assert_eq!(
            config.get("debezium.source.table.include.list"),
            Some("inventory.products")
        );
        assert_eq!(config.get("debezium.source.snapshot.mode"), Some("no_data"));
        let said: Vec<&str> = config.notices().iter().map(|n| n.text.as_str()).collect();
        assert_eq!(said.len(), 6, "{said:#?}");
        assert!(
            said.iter()
                .any(|n| n.contains("'quarkus.banner.enabled' (line 7) has no effect"))
        );
        assert!(
            said.iter()
                .any(|n| n.contains("read as 'debezium.source.topic.prefix'"))
        );
    }

    #[test]
    fn a_debezium_variable_that_names_no_key_is_refused_like_a_key() {
        let err = Config::build(
            file(&[]),
            [
                (
                    "DEBEZIUM_SOURCE_SIGNAL_DATA_COLLECTION".to_owned(),
                    "s.signals".to_owned(),
                ),
                (
                    "DEBEZIUM_SOURCE_DATABASE_HOSTNAM".to_owned(),
                    "db".to_owned(),
                ),
            ],
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains(
                "'debezium.source.signal.data.collection' (environment variable \
                 DEBEZIUM_SOURCE_SIGNAL_DATA_COLLECTION)"
            ),
            "{text}"
        );
        assert!(
            text.contains("did you mean 'debezium.source.database.hostname'"),
            "{text}"
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
