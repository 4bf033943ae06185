//! `spillway plugin test`, run as a user runs it: the real binary, the built-in
//! plugins and compiled components, the sample inputs shipped in plugins/samples.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn spillway(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spillway"))
        .args(args)
        .current_dir(root())
        .env("RUST_LOG", "info")
        .env("SPILLWAY_PLUGINS_CACHE_DIR", "none")
        .output()
        .expect("run spillway")
}

/// `spillway plugin test KIND PLUGIN --input INPUT [--config CONFIG]`.
fn plugin_test(kind: &str, plugin: &str, input: &str, config: Option<&str>) -> Output {
    let mut args = vec!["plugin", "test", kind, plugin, "--input", input];
    args.extend(config.iter().flat_map(|c| ["--config", c]));
    spillway(&args)
}

/// A file in `dir` with `contents`, as a path string.
fn write(dir: &Path, name: &str, contents: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("write a test file");
    path.to_str().expect("a UTF-8 path").to_owned()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_default_mapper_prints_debezium_stream_names() {
    let out = plugin_test("mapper", "default", "plugins/samples/tables.json", None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "inventory.products -> kinesis.inventory.products\n\
         inventory.customers -> kinesis.inventory.customers\n"
    );
}

#[test]
fn the_default_transformer_prints_the_reference_lambdas_entries() {
    let out = plugin_test(
        "transformer",
        "default",
        "plugins/samples/records.json",
        Some("configs/reference.properties"),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let entries: Vec<serde_json::Value> =
        serde_json::from_slice(&out.stdout).expect("JSON entries");
    let records: Vec<serde_json::Value> = serde_json::from_str(
        &std::fs::read_to_string(root().join("plugins/samples/records.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(entries.len(), records.len());
    let products = (
        "kinesis.inventory.products",
        "ProductDataChangeEvent",
        "products",
    );
    let customers = (
        "kinesis.inventory.customers",
        "CustomerDataChangeEvent",
        "customers",
    );
    let expected = [
        products, products, products, customers, customers, customers,
    ];
    for ((entry, record), (source, detail_type, bus)) in entries.iter().zip(&records).zip(expected)
    {
        assert_eq!(entry["Source"], source);
        assert_eq!(entry["DetailType"], detail_type);
        assert_eq!(entry["EventBusName"], bus);
        let detail: serde_json::Value =
            serde_json::from_str(entry["Detail"].as_str().unwrap()).unwrap();
        assert_eq!(
            detail, record["data"],
            "the detail must be the change event, unchanged"
        );
        assert!(
            entry.get("Time").is_none(),
            "the time is stamped when publishing"
        );
    }
}

#[test]
fn the_default_consumer_logs_the_reference_lines_and_acks() {
    let out = plugin_test("consumer", "default", "plugins/samples/messages.json", None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let log = text(&out.stderr);
    for line in [
        "Received event detail-type: ProductDataChangeEvent, source: kinesis.inventory.products",
        "Message id 'a1b2c3d4-0001' - Event 'before': None",
        "Message id 'a1b2c3d4-0001' - Event 'after': {'id': 106, 'name': 'skateboard', \
         'description': 'A board with four wheels', 'created_at': 1732430000000000, \
         'modified_at': 1732430000000000}",
        "Message id 'a1b2c3d4-0002' - Event 'after': {'id': 106, 'name': 'skateboard', \
         'description': 'A faster board', 'created_at': 1732430000000000, \
         'modified_at': 1732430060000000}",
        "Message id 'a1b2c3d4-0003' - Event 'after': None",
        "Received event detail-type: CustomerDataChangeEvent, source: kinesis.inventory.customers",
        "Message id 'a1b2c3d4-0004' - Event 'before': None",
        "Message id 'a1b2c3d4-0005' - Event 'after': {'id': 1001, 'name': 'Sally Thomas', \
         'email': 'sally.t@acme.com', 'created_at': 1732420000000000, \
         'modified_at': 1732430120000000}",
        "Message id 'a1b2c3d4-0006' - Event 'after': None",
    ] {
        assert!(log.contains(line), "missing log line {line:?} in:\n{log}");
    }
    let verdicts: Vec<String> = (1..=6)
        .map(|i| format!("message 'a1b2c3d4-000{i}': ack\n"))
        .chain([
            "message 'a1b2c3d4-0007': reject: the body is not an EventBridge event: \
                 it has no string 'detail-type'\n"
                .to_owned(),
        ])
        .collect();
    assert_eq!(text(&out.stdout), verdicts.concat());
}

#[test]
fn a_plugin_of_the_wrong_kind_is_refused_with_a_clear_message() {
    let consumer = Path::new(spillway_plugin::builtin::BUILD_DIR).join("spillway_consumer.wasm");
    let out = plugin_test(
        "mapper",
        consumer.to_str().unwrap(),
        "plugins/samples/tables.json",
        None,
    );
    assert!(!out.status.success());
    let error = text(&out.stderr);
    assert!(
        error.contains("does not implement world 'mapper-plugin'"),
        "{error}"
    );
    assert!(
        error.contains("it exports spillway:plugin/consumer@0.2.0"),
        "{error}"
    );
}

#[test]
fn a_misspelled_configuration_key_stops_with_the_closest_valid_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = write(
        dir.path(),
        "app.properties",
        "spillway.mapper.plugin=default\nspillway.mapper.timout.ms=10\n",
    );
    let out = plugin_test(
        "mapper",
        "default",
        "plugins/samples/tables.json",
        Some(&config),
    );
    assert!(!out.status.success());
    let error = text(&out.stderr);
    assert!(
        error.contains("'spillway.mapper.timout.ms' (line 2)"),
        "{error}"
    );
    assert!(
        error.contains("did you mean 'spillway.mapper.timeout.ms'?"),
        "{error}"
    );
    assert!(
        out.stdout.is_empty(),
        "nothing may run on a bad configuration"
    );
}

#[test]
fn a_plugin_that_hangs_is_stopped_by_the_configured_limit() {
    let dir = tempfile::tempdir().unwrap();
    let config = write(
        dir.path(),
        "app.properties",
        "spillway.consumer.timeout.ms=200\n",
    );
    let input = write(dir.path(), "hang.json", r#"{"body": "hang"}"#);
    let fixture =
        Path::new(spillway_plugin::builtin::BUILD_DIR).join("spillway_fixture_misbehave.wasm");
    let out = plugin_test("consumer", fixture.to_str().unwrap(), &input, Some(&config));
    assert!(!out.status.success());
    let error = text(&out.stderr);
    assert!(error.contains("timed out"), "{error}");
    assert!(error.contains("the limit is 200ms"), "{error}");
}

#[test]
fn a_builtin_transform_runs_on_the_sample_change_records() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write(
        dir.path(),
        "unwrap.properties",
        "debezium.transforms=other,unwrap\n\
         debezium.transforms.other.type=org.apache.kafka.connect.transforms.RegexRouter\n\
         debezium.transforms.other.regex=x\n\
         debezium.transforms.unwrap.type=io.debezium.transforms.ExtractNewRecordState\n\
         debezium.transforms.unwrap.delete.tombstone.handling.mode=rewrite\n\
         debezium.transforms.unwrap.add.fields=op\n\
         debezium.transforms.unwrap.predicate=never\n",
    );
    let output = spillway(&[
        "plugin",
        "test",
        "transform",
        "default",
        "--input",
        "plugins/samples/change-records.json",
        "--config",
        &config,
        "--transform",
        "unwrap",
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let made: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    // The insert keeps its new row, the delete its old one marked deleted,
    // and the tombstone is dropped (rewrite mode).
    assert_eq!(made[0][0]["value"]["name"], "scooter");
    assert_eq!(made[0][0]["value"]["__op"], "c");
    assert_eq!(made[1][0]["value"]["__deleted"], "true");
    assert_eq!(made[2].as_array().map(Vec::len), Some(0));
}
