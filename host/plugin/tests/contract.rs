//! A plugin that does not implement the expected world and version is refused
//! at load time, with an error that names the plugin, the world and what is wrong.

mod support;

use spillway_plugin::consumer::{Consumer, Message, Outcome};
use spillway_plugin::mapper::Mapper;
use spillway_plugin::transform::Transform;
use spillway_plugin::transformer::{StreamRecord, Transformer};
use spillway_plugin::{Code, PluginError, PluginSpec};
use support::{guest, runtime};

fn load_error(result: Result<impl Sized, PluginError>) -> PluginError {
    match result {
        Ok(_) => panic!("the plugin was accepted"),
        Err(e) => e,
    }
}

#[test]
fn a_plugin_of_another_kind_is_refused() {
    let runtime = runtime();
    let consumer = guest("spillway_consumer.wasm");
    let error = load_error(Mapper::load(
        &runtime,
        PluginSpec::new(Code::File(consumer.clone())),
    ));
    let message = error.to_string();
    assert!(
        matches!(error, PluginError::WrongContract { .. }),
        "{message}"
    );
    assert!(
        message.contains(&consumer.display().to_string()),
        "{message}"
    );
    assert!(message.contains("world 'mapper-plugin'"), "{message}");
    assert!(
        message.contains("does not export spillway:plugin/mapper@0.2.0"),
        "{message}"
    );
    assert!(
        message.contains("it exports spillway:plugin/consumer@0.2.0"),
        "{message}"
    );
    assert!(!error.can_retry());
}

#[test]
fn a_plugin_built_for_another_contract_version_is_refused() {
    let runtime = runtime();
    let future = guest("spillway_fixture_future_version.wasm");
    let error = load_error(Mapper::load(&runtime, PluginSpec::new(Code::File(future))));
    let message = error.to_string();
    assert!(
        message.contains("it exports spillway:plugin/mapper@9.0.0"),
        "{message}"
    );
    assert!(
        message.contains("this host speaks mapper@0.2.0 or 0.1.0"),
        "{message}"
    );
    assert!(message.contains("rebuild the plugin"), "{message}");
}

#[test]
fn files_that_are_not_components_are_refused() {
    let runtime = runtime();
    let core_module = b"\0asm\x01\0\0\0".to_vec();
    let error = load_error(Transformer::load(
        &runtime,
        PluginSpec::new(Code::Bytes(core_module)),
    ));
    assert!(
        error.to_string().contains("core WebAssembly module"),
        "{error}"
    );
    assert!(error.to_string().contains("wasm32-wasip2"), "{error}");

    let text = b"#!/bin/sh\necho hello\n".to_vec();
    let error = load_error(Consumer::load(&runtime, PluginSpec::new(Code::Bytes(text))));
    assert!(
        error.to_string().contains("not a WebAssembly file"),
        "{error}"
    );
}

#[test]
fn a_missing_file_is_named() {
    let runtime = runtime();
    let missing = std::path::PathBuf::from("/nonexistent/mapper.wasm");
    let error = load_error(Mapper::load(&runtime, PluginSpec::new(Code::File(missing))));
    assert!(matches!(error, PluginError::Read { .. }));
    assert!(
        error.to_string().contains("/nonexistent/mapper.wasm"),
        "{error}"
    );
}

#[test]
fn one_component_may_serve_several_kinds() {
    // The fixture exports all four interfaces, so it passes all four checks.
    let runtime = runtime();
    let spec = support::misbehave(&[]);
    Mapper::load(&runtime, spec.clone()).expect("as a mapper");
    Transform::load(&runtime, spec.clone()).expect("as a transform");
    Transformer::load(&runtime, spec.clone()).expect("as a transformer");
    Consumer::load(&runtime, spec).expect("as a consumer");
}

/// A component built from the 0.1.0 contract (wit/0.1.0/, before
/// transforms) loads as a mapper, transformer and consumer, reads its
/// settings and answers through the same host calls.
#[test]
fn plugins_built_against_contract_0_1_keep_working() {
    let runtime = runtime();
    let spec = PluginSpec {
        settings: support::settings(&[("prefix", "old")]),
        ..PluginSpec::new(Code::File(guest("spillway_fixture_contract_0_1.wasm")))
    };
    let mut mapper = Mapper::load(&runtime, spec.clone())
        .expect("a 0.1.0 mapper loads")
        .worker();
    assert_eq!(
        mapper
            .stream_name(&support::table("inventory", "products"))
            .expect("named"),
        "old.inventory.products"
    );

    let mut transformer = Transformer::load(&runtime, spec.clone())
        .expect("a 0.1.0 transformer loads")
        .worker();
    let events = transformer
        .transform(&[StreamRecord {
            stream_name: "s".into(),
            shard_id: "shardId-000000000000".into(),
            partition_key: "Kind".into(),
            sequence_number: "1".into(),
            arrival_ms: 1,
            data: br#"{"a":1}"#.to_vec(),
        }])
        .expect("transformed");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].source, "old.s");
    assert_eq!(events[0].detail_type, "Kind");
    assert_eq!(events[0].detail, r#"{"a":1}"#);

    let mut consumer = Consumer::load(&runtime, spec.clone())
        .expect("a 0.1.0 consumer loads")
        .worker();
    let message = |body: &str| Message {
        id: "m".into(),
        body: body.into(),
        group_id: None,
        receive_count: 1,
        attributes: Vec::new(),
    };
    assert_eq!(consumer.handle(&message("ack")).expect("ack"), Outcome::Ack);
    assert_eq!(
        consumer.handle(&message("later")).expect("retry"),
        Outcome::RetryAfter(7)
    );
    assert_eq!(
        consumer.handle(&message("no")).expect("reject"),
        Outcome::Reject("old: no".into())
    );

    // The transform world is new in 0.2.0: a 0.1.0 component is no transform.
    let error = load_error(Transform::load(&runtime, spec));
    assert!(
        error
            .to_string()
            .contains("does not export spillway:plugin/transform@0.2.0"),
        "{error}"
    );
}
