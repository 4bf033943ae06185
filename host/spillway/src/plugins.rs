//! The plugins a configuration names, with their settings and limits.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use spillway_plugin::{Code, Limits, PluginSpec, RuntimeOptions};

use crate::config::{Config, ConfigError};

/// The kinds of plugin: one per stage, and capture's transforms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// Names the Kinesis stream of a table (capture).
    Mapper,
    /// Reshapes, re-routes or drops events before the sink (capture's
    /// `debezium.transforms`).
    Transform,
    /// Turns Kinesis records into EventBridge events (forward).
    Transformer,
    /// Handles queue messages (consume).
    Consumer,
}

impl Kind {
    /// The kind's name, as in configuration keys and the WIT interface.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Mapper => "mapper",
            Kind::Transform => "transform",
            Kind::Transformer => "transformer",
            Kind::Consumer => "consumer",
        }
    }
}

/// The plugin of `kind` that `config` names: its code
/// (`spillway.<kind>.plugin`), settings (`spillway.<kind>.config.*`) and
/// limits. For [`Kind::Transform`], transform `name` of
/// `debezium.transforms` (the first when `None`): its code and limits
/// (`spillway.transforms.<name>.*`) and settings
/// (`debezium.transforms.<name>.*` but `predicate` and `negate`).
pub fn spec(config: &Config, kind: Kind) -> Result<PluginSpec, ConfigError> {
    spec_of(config, kind, None)
}

/// [`spec`], naming the transform.
pub fn spec_of(config: &Config, kind: Kind, name: Option<&str>) -> Result<PluginSpec, ConfigError> {
    if kind == Kind::Transform {
        let name = name
            .map(str::to_owned)
            .or_else(|| config.list("debezium.transforms").into_iter().next())
            .unwrap_or_default();
        let mut settings = config.under(&format!("debezium.transforms.{name}."));
        settings.remove("predicate");
        settings.remove("negate");
        return spec_under(config, &format!("spillway.transforms.{name}"), settings);
    }
    let prefix = format!("spillway.{}", kind.name());
    spec_under(config, &prefix, config.under(&format!("{prefix}.config.")))
}

/// A plugin named by `<prefix>.plugin` (the built-in one when unset or
/// `default`), limited by `<prefix>.timeout.ms` and `<prefix>.memory.mb`,
/// with `settings`.
pub fn spec_under(
    config: &Config,
    prefix: &str,
    settings: BTreeMap<String, String>,
) -> Result<PluginSpec, ConfigError> {
    let key = |suffix: &str| format!("{prefix}.{suffix}");
    let code = match config.get(&key("plugin")).map(str::trim) {
        None | Some("" | "default") => Code::Default,
        Some(path) => Code::File(PathBuf::from(path)),
    };
    let defaults = Limits::default();
    let timeout_ms = config.get_u64_within(&key("timeout.ms"), 1, 3_600_000)?;
    let memory_mb = config.get_u64_within(&key("memory.mb"), 1, MAX_MEMORY_MB)?;
    Ok(PluginSpec {
        code,
        settings,
        limits: Limits {
            timeout: timeout_ms.map_or(defaults.timeout, Duration::from_millis),
            memory_bytes: memory_mb.map_or(defaults.memory_bytes, |mb| mb << 20),
        },
    })
}

/// The most memory a plugin may be given: a 32-bit WebAssembly memory's 4 GiB.
const MAX_MEMORY_MB: u64 = 4096;

/// The plugin runtime's options: where compiled plugins are cached.
pub fn runtime_options(config: &Config) -> RuntimeOptions {
    let cache_dir = match config.get("spillway.plugins.cache.dir").map(str::trim) {
        Some("none") => None,
        Some(dir) if !dir.is_empty() => Some(PathBuf::from(dir)),
        _ => default_cache_dir(),
    };
    RuntimeOptions { cache_dir }
}

fn default_cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))?;
    Some(base.join("spillway").join("plugins"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(entries: &[(&str, &str)]) -> Config {
        Config::of(entries)
    }

    #[test]
    fn each_stage_takes_its_own_plugin_settings_and_limits() {
        let config = config(&[
            ("spillway.consumer.plugin", "/plugins/mine.wasm"),
            ("spillway.consumer.timeout.ms", "250"),
            ("spillway.consumer.memory.mb", "16"),
            ("spillway.consumer.config.table", "orders"),
            ("spillway.mapper.config.table", "not the consumer's"),
        ]);
        let consumer = spec(&config, Kind::Consumer).expect("spec");
        assert!(
            matches!(&consumer.code, Code::File(p) if p == &PathBuf::from("/plugins/mine.wasm"))
        );
        assert_eq!(consumer.limits.timeout, Duration::from_millis(250));
        assert_eq!(consumer.limits.memory_bytes, 16 << 20);
        assert_eq!(consumer.settings.len(), 1);
        assert_eq!(consumer.settings["table"], "orders");

        let mapper = spec(&config, Kind::Mapper).expect("spec");
        assert!(matches!(mapper.code, Code::Default));
        assert_eq!(mapper.limits.timeout, Duration::from_secs(5));
    }

    #[test]
    fn limits_out_of_range_are_refused_not_wrapped() {
        for (key, value) in [
            ("spillway.mapper.memory.mb", "17592186044416"),
            ("spillway.mapper.memory.mb", "0"),
            ("spillway.mapper.timeout.ms", "0"),
        ] {
            let error = spec(&config(&[(key, value)]), Kind::Mapper).unwrap_err();
            assert!(
                error.to_string().contains("expected 1 to"),
                "{key}={value}: {error}"
            );
        }
    }

    #[test]
    fn the_cache_can_be_moved_or_turned_off() {
        let off = config(&[("spillway.plugins.cache.dir", "none")]);
        assert_eq!(runtime_options(&off).cache_dir, None);
        let moved = config(&[("spillway.plugins.cache.dir", "/var/cache/x")]);
        assert_eq!(
            runtime_options(&moved).cache_dir,
            Some(PathBuf::from("/var/cache/x"))
        );
    }
}
