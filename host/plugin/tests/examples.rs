//! The example plugins of plugins/examples, run by the real host as the plugin
//! author's guide (docs/PLUGINS.md) describes them.

mod support;

use spillway_plugin::mapper::Mapper;
use spillway_plugin::{Code, PluginError, PluginSpec};
use support::{guest, runtime, settings, table};

#[test]
fn the_pattern_mapper_names_streams_from_its_settings() {
    let mut spec = PluginSpec::new(Code::File(guest("spillway_example_pattern_mapper.wasm")));
    spec.settings = settings(&[
        ("pattern", "cdc-{schema}-{table}"),
        ("skip-schemas", "audit, tmp"),
    ]);
    let mut mapper = Mapper::load(&runtime(), spec).expect("load").worker();
    assert_eq!(
        mapper
            .stream_name(&table("inventory", "products"))
            .expect("name"),
        "cdc-inventory-products"
    );
    let error = mapper
        .stream_name(&table("audit", "log"))
        .expect_err("skipped schema");
    assert!(matches!(error, PluginError::Failed { .. }), "{error}");
    assert!(
        error
            .to_string()
            .contains("schema 'audit' is not to be captured"),
        "{error}"
    );
}

#[test]
fn without_settings_the_pattern_mapper_names_streams_like_debezium() {
    let spec = PluginSpec::new(Code::File(guest("spillway_example_pattern_mapper.wasm")));
    let mut mapper = Mapper::load(&runtime(), spec).expect("load").worker();
    assert_eq!(
        mapper
            .stream_name(&table("inventory", "customers"))
            .expect("name"),
        "kinesis.inventory.customers"
    );
}
