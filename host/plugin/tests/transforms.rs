//! Transform plugins through the real host: the built-in transforms
//! component configured by its `type`, and the checks the host makes on a
//! transform's answer.

mod support;

use spillway_plugin::transform::{ChangeRecord, Operation, Transform};
use spillway_plugin::{PluginError, PluginSpec};
use support::{runtime, settings};

fn record(table: &str, operation: Operation, value: Option<&str>) -> ChangeRecord {
    ChangeRecord {
        destination: format!("kinesis.inventory.{table}"),
        key: Some(r#"{"id":1}"#.into()),
        value: value.map(str::to_owned),
        headers: Vec::new(),
        operation,
        schema: "inventory".into(),
        table: table.into(),
        lsn: Some(42),
    }
}

fn builtin(pairs: &[(&str, &str)]) -> Transform {
    let mut spec = PluginSpec::default_plugin();
    spec.settings = settings(pairs);
    Transform::load(&runtime(), spec).expect("the built-in transforms load")
}

#[test]
fn the_builtin_unwrap_keeps_the_new_row_and_drops_tombstones() {
    let mut unwrap = builtin(&[
        ("type", "io.debezium.transforms.ExtractNewRecordState"),
        ("add.fields", "op,source.lsn"),
        ("add.headers", "op"),
    ])
    .worker();
    let create =
        r#"{"before":null,"after":{"id":1,"price":1.50},"source":{"lsn":42},"op":"c","ts_ms":1}"#;
    let out = unwrap
        .apply(&[
            record("products", Operation::Create, Some(create)),
            record("products", Operation::Tombstone, None),
            record("products", Operation::Message, Some(r#"{"op":"m"}"#)),
        ])
        .expect("applied");
    assert_eq!(out.len(), 3, "one answer per record");
    assert_eq!(
        out[0][0].value.as_deref(),
        Some(r#"{"id":1,"price":1.50,"__op":"c","__source_lsn":42}"#)
    );
    // Without schemas in the value, a header is its value alone.
    assert_eq!(
        out[0][0].headers,
        vec![("__op".to_owned(), r#""c""#.to_owned())]
    );
    assert!(out[1].is_empty(), "the tombstone is dropped");
    assert_eq!(out[2][0].value.as_deref(), Some(r#"{"op":"m"}"#));
}

#[test]
fn a_builtin_with_bad_settings_says_which() {
    let mut unknown = builtin(&[("type", "com.example.Mine")]).worker();
    let error = unknown.apply(&[]).unwrap_err().to_string();
    assert!(
        error.contains("com.example.Mine is not a built-in transform"),
        "{error}"
    );
    assert!(
        error.contains("spillway.transforms.<name>.plugin"),
        "{error}"
    );
    let mut router =
        builtin(&[("type", "org.apache.kafka.connect.transforms.RegexRouter")]).worker();
    let error = router.apply(&[]).unwrap_err().to_string();
    assert!(error.contains("regex is required"), "{error}");
}

#[test]
fn an_answer_without_one_list_per_record_is_refused() {
    let mut spec = support::misbehave(&[]);
    spec.settings = settings(&[("mode", "bad-output")]);
    let mut fixture = Transform::load(&runtime(), spec).expect("load").worker();
    let error = fixture
        .apply(&[
            record("a", Operation::Create, Some("{}")),
            record("b", Operation::Create, Some("{}")),
        ])
        .unwrap_err();
    assert!(
        matches!(error, PluginError::InvalidOutput { .. }),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .contains("returned 1 lists for a batch of 2"),
        "{error}"
    );
}
