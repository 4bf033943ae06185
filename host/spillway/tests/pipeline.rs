//! The whole pipeline, end to end: PostgreSQL (the reference's inventory
//! database) -> capture -> Kinesis -> forward -> EventBridge -> SQS FIFO ->
//! consume, with `spillway provision` creating the AWS side, against a real
//! PostgreSQL and moto (both started by scripts/test).

use std::path::Path;

use support::Spillway;
use support::postgres::Database;

mod support;

#[test]
fn every_change_reaches_the_consumer_in_order() {
    assert!(
        std::env::var("AWS_ENDPOINT_URL").is_ok(),
        "this test needs the AWS emulator: run it through scripts/test"
    );
    let prefix = format!("e2e{}", std::process::id());
    let db = Database::create("pipeline_e2e");
    db.sql_file(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs/inventory.sql"));
    let dir = tempfile::tempdir().expect("dir");
    let settings = format!(
        "debezium.source.topic.prefix={prefix}\n\
         debezium.source.table.include.list=inventory.products,inventory.customers\n\
         spillway.forward.streams={prefix}.inventory.products,{prefix}.inventory.customers\n\
         spillway.forward.checkpoint.dir={checkpoints}\n\
         spillway.transformer.config.detail-type.{prefix}.inventory.products=ProductDataChangeEvent\n\
         spillway.transformer.config.bus.{prefix}.inventory.products={prefix}-products\n\
         spillway.transformer.config.detail-type.{prefix}.inventory.customers=CustomerDataChangeEvent\n\
         spillway.transformer.config.bus.{prefix}.inventory.customers={prefix}-customers\n\
         spillway.consumer.queue={prefix}-data-change.fifo\n\
         spillway.consumer.wait.seconds=1",
        checkpoints = dir.path().join("checkpoints").display(),
    );
    let config = db.config(dir.path(), "pipeline_e2e", &settings);
    let text = std::fs::read_to_string(&config)
        .expect("config")
        .replace("debezium.sink.type=stdout", "debezium.sink.type=kinesis")
        .replace("spillway.stdout.format=record\n", "");
    std::fs::write(&config, text).expect("config");

    let output = std::process::Command::new(env!("CARGO_BIN_EXE_spillway"))
        .args(["provision", "--config"])
        .arg(&config)
        .output()
        .expect("provision");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let capture = Spillway::start("capture", &config, dir.path(), None);
    let forward = Spillway::start("forward", &config, dir.path(), None);
    let mut consume = Spillway::start("consume", &config, dir.path(), None);
    // The snapshot: five products and five customers.
    consume.wait_for("deleted successfully", 10);
    db.sql(
        "UPDATE inventory.products SET description = 'first change' WHERE id = 101;
         UPDATE inventory.products SET description = 'second change' WHERE id = 101;
         INSERT INTO inventory.products (name, description) VALUES ('skateboard', 'new');
         DELETE FROM inventory.products WHERE name = 'skateboard';
         UPDATE inventory.customers SET email = 'sally@acme.com' WHERE id = 1001;",
    );
    consume.wait_for("deleted successfully", 15);
    let log = consume.terminate();
    forward.terminate();
    capture.terminate();

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
}
