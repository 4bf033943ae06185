//! Shared helpers for the runtime's integration tests.

#![allow(dead_code, reason = "each test file uses a part")]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use spillway_plugin::mapper::Table;
use spillway_plugin::{Code, Limits, PluginSpec, Runtime, RuntimeOptions};

/// A runtime without a disk cache.
pub fn runtime() -> Runtime {
    Runtime::new(&RuntimeOptions::default()).expect("runtime")
}

/// A compiled guest of this build (`spillway_fixture_misbehave.wasm`, ...).
pub fn guest(file: &str) -> PathBuf {
    PathBuf::from(spillway_plugin::builtin::BUILD_DIR).join(file)
}

/// The misbehaving fixture with tight limits and the given settings.
pub fn misbehave(pairs: &[(&str, &str)]) -> PluginSpec {
    PluginSpec {
        code: Code::File(guest("spillway_fixture_misbehave.wasm")),
        settings: settings(pairs),
        limits: Limits {
            memory_bytes: 32 << 20,
            timeout: Duration::from_millis(300),
        },
    }
}

/// Settings from pairs.
pub fn settings(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A table of the reference's server and database, its events bound for
/// Debezium's default topic.
pub fn table(schema: &str, name: &str) -> Table {
    Table {
        server: "kinesis".into(),
        database: "inventory_db".into(),
        schema: schema.into(),
        name: name.into(),
        destination: format!("kinesis.{schema}.{name}"),
    }
}
