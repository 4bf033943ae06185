//! The whole pipeline, end to end: PostgreSQL (the reference's inventory
//! database) -> capture -> Kinesis -> forward -> EventBridge -> SQS FIFO ->
//! consume, with `spillway provision` creating the AWS side and `spillway run`
//! running the three stages in one process, against a real PostgreSQL and
//! moto (both started by scripts/test); the process's health and metrics
//! endpoint reports what happened.

use std::path::Path;

use support::postgres::Database;
use support::{Spillway, http_get, metric, spillway};

mod support;

#[test]
fn every_change_reaches_the_consumer_in_order() {
    support::require_aws_emulator();
    let prefix = format!("e2e{}", std::process::id());
    let db = Database::create("pipeline_e2e");
    db.sql_file(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs/inventory.sql"));
    let dir = tempfile::tempdir().expect("dir");
    let config = db.pipeline_config(dir.path(), &prefix);

    let (provisioned, out, err) = spillway(
        &["provision", "--config", config.to_str().expect("path")],
        &[],
    );
    assert!(provisioned, "{out}{err}");

    let mut text = std::fs::read_to_string(&config).expect("config");
    text.push_str("spillway.http.address=127.0.0.1:0\n");
    std::fs::write(&config, text).expect("config");
    let mut pipeline = Spillway::start("run", &config, dir.path(), None);
    let endpoint = pipeline.endpoint();
    // The snapshot: five products and five customers.
    pipeline.wait_for("deleted successfully", 10);
    let (status, ready) = http_get(&endpoint, "/health/ready");
    assert_eq!(status, 200, "{ready}");
    assert!(
        ready.contains(r#""stages":{"capture":"ready","consume":"ready","forward":"ready"}"#),
        "{ready}"
    );
    db.sql(
        "UPDATE inventory.products SET description = 'first change' WHERE id = 101;
         UPDATE inventory.products SET description = 'second change' WHERE id = 101;
         INSERT INTO inventory.products (name, description) VALUES ('skateboard', 'new');
         DELETE FROM inventory.products WHERE name = 'skateboard';
         UPDATE inventory.customers SET email = 'sally@acme.com' WHERE id = 1001;",
    );
    pipeline.wait_for("deleted successfully", 15);
    let (status, metrics) = http_get(&endpoint, "/metrics");
    assert_eq!(status, 200);
    let log = pipeline.terminate();

    let products = format!(
        "Received event detail-type: ProductDataChangeEvent, source: {prefix}.inventory.products"
    );
    let customers = format!(
        "Received event detail-type: CustomerDataChangeEvent, source: {prefix}.inventory.customers"
    );
    // At least once: a retried batch may deliver an event twice.
    // Five snapshot reads, then two updates, a create and a delete.
    assert!(log.matches(&products).count() >= 9, "{log}");
    // Five snapshot reads, then an update.
    assert!(log.matches(&customers).count() >= 6, "{log}");
    for row in [
        "'name': 'scooter'",
        "'name': 'Sally Thomas'",
        "'email': 'sally@acme.com'",
    ] {
        assert!(log.contains(row), "{row} in the consumer's lines:\n{log}");
    }
    // Product 101's changes arrive in the order they were made.
    let at = |needle: &str| {
        log.find(needle)
            .unwrap_or_else(|| panic!("{needle} missing:\n{log}"))
    };
    assert!(at("'description': 'first change'") < at("'description': 'second change'"));
    // The delete: `before` holds the row, `after` is None.
    assert!(log.contains("Event 'after': None"), "{log}");

    // The metrics count the same events at every stage: capture read 9
    // product and 6 customer events and Kinesis stored each (the delete's
    // tombstone is not written to Kinesis); at least once downstream.
    let value = |series: &str| {
        metric(&metrics, series).unwrap_or_else(|| panic!("{series} missing:\n{metrics}"))
    };
    assert_eq!(
        value(r#"spillway_capture_events_total{table="inventory.products"}"#),
        9.0
    );
    assert_eq!(
        value(r#"spillway_capture_events_total{table="inventory.customers"}"#),
        6.0
    );
    let delivered = |stream: &str| {
        value(&format!(
            r#"spillway_delivered_records_total{{destination="{prefix}.inventory.{stream}"}}"#
        ))
    };
    assert_eq!(delivered("products"), 9.0);
    assert_eq!(delivered("customers"), 6.0);
    assert!(
        value("spillway_forwarded_events_total") >= 15.0,
        "{metrics}"
    );
    assert!(
        value(r#"spillway_consumed_messages_total{outcome="ack"}"#) >= 15.0,
        "{metrics}"
    );
    assert_eq!(
        value(r#"spillway_capture_snapshot_rows{table="inventory.products"}"#),
        5.0
    );
    assert!(value("spillway_capture_lag_bytes") >= 0.0);
    assert!(value("spillway_capture_lag_seconds") >= 0.0);
    assert!(
        !metrics.contains("spillway_plugin_errors_total{"),
        "{metrics}"
    );
}

#[test]
fn a_mistake_in_one_stage_starts_no_stage() {
    let db = Database::create("pipeline_invalid");
    db.sql("CREATE TABLE t (id int PRIMARY KEY)");
    let dir = tempfile::tempdir().expect("dir");
    let config = db.pipeline_config(dir.path(), "invalid");
    let mut text = std::fs::read_to_string(&config).expect("config");
    text.push_str("\nspillway.consumer.workers=0\nspillway.mapper.memory.mb=100000\n");
    std::fs::write(&config, text).expect("config");
    let (ran, out, err) = spillway(&["run", "--config", config.to_str().expect("path")], &[]);
    assert!(!ran, "{out}{err}");
    assert!(err.contains("nothing was started"), "{err}");
    assert!(err.contains("'spillway.consumer.workers' = '0'"), "{err}");
    assert!(
        err.contains("'spillway.mapper.memory.mb' = '100000'"),
        "{err}"
    );
    // Capture, first in line, made no slot and took no snapshot.
    let slots = db.sql(&format!(
        "SELECT count(*) FROM pg_replication_slots WHERE database = '{}'",
        db.name
    ));
    assert_eq!(slots.trim(), "0", "{err}");
}
