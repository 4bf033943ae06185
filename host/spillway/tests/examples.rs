//! The example plugins written in Python and JavaScript (built by
//! scripts/build-examples, which scripts/test runs first), through the real
//! host: on the sample inputs with `spillway plugin test`, inside the sandbox
//! (a Python guest that tries files, the environment and a socket; a
//! JavaScript guest built with HTTP), and in the whole pipeline configured to
//! use them, against PostgreSQL and moto.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use support::postgres::Database;
use support::{Spillway, spillway};

mod support;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The built example `name` (`python_router`, `js_redact`, ...).
fn example(name: &str) -> String {
    let dir = std::env::var("EXAMPLE_PLUGINS_DIR").unwrap_or_else(|_| {
        panic!(
            "EXAMPLE_PLUGINS_DIR is not set: run the tests through scripts/test, which builds \
             the examples with scripts/build-examples"
        )
    });
    let path = Path::new(&dir).join(format!("{name}.wasm"));
    assert!(
        path.exists(),
        "{} is missing: run scripts/build-examples",
        path.display()
    );
    path.display().to_string()
}

/// A shared compile cache: these guests take seconds to compile.
fn cache() -> (&'static str, String) {
    let dir = std::env::var("EXAMPLE_PLUGINS_DIR").expect("EXAMPLE_PLUGINS_DIR");
    ("SPILLWAY_PLUGINS_CACHE_DIR", format!("{dir}/compiled"))
}

/// A sample input of `plugins/samples`.
fn sample(name: &str) -> PathBuf {
    root().join("plugins/samples").join(name)
}

/// `spillway plugin test <kind> <plugin>` on `input`, with `settings` as its
/// configuration: success, standard output, standard error.
fn plugin_test(kind: &str, plugin: &str, input: &Path, settings: &str) -> (bool, String, String) {
    let dir = tempfile::tempdir().expect("dir");
    let config = dir.path().join("plugin.properties");
    std::fs::write(&config, settings).expect("config");
    let (name, value) = cache();
    spillway(
        &[
            "plugin",
            "test",
            kind,
            plugin,
            "--input",
            input.to_str().expect("path"),
            "--config",
            config.to_str().expect("path"),
        ],
        &[(name, &value)],
    )
}

#[test]
fn the_python_mapper_routes_tables_by_rule() {
    let router = example("python_router");
    let (ok, out, err) = plugin_test(
        "mapper",
        &router,
        &sample("tables.json"),
        "spillway.mapper.config.routes=inventory.products=catalog-{database}, inventory.*=inventory-changes\n",
    );
    assert!(ok, "{err}");
    assert_eq!(
        out,
        "inventory.products -> catalog-inventory_db\ninventory.customers -> inventory-changes\n"
    );
    // The plugin's own log reaches the host's, with the plugin's name.
    assert!(err.contains("(route inventory.*)"), "{err}");

    // No rule and no fallback: Debezium's name.
    let (ok, out, err) = plugin_test("mapper", &router, &sample("tables.json"), "");
    assert!(ok, "{err}");
    assert!(
        out.contains("inventory.products -> kinesis.inventory.products"),
        "{out}"
    );

    // `reject`: an unrouted table is an error that says what to do.
    let (ok, _, err) = plugin_test(
        "mapper",
        &router,
        &sample("tables.json"),
        "spillway.mapper.config.routes=inventory.products=catalog\nspillway.mapper.config.fallback=reject\n",
    );
    assert!(!ok);
    assert!(
        err.contains("no route matches table inventory.customers: add one to the 'routes' setting"),
        "{err}"
    );
    // A stream name Kinesis would refuse is caught by the plugin.
    let (ok, _, err) = plugin_test(
        "mapper",
        &router,
        &sample("tables.json"),
        "spillway.mapper.config.routes=inventory.*=cdc/{table}\n",
    );
    assert!(!ok);
    assert!(
        err.contains("'cdc/products' (from 'cdc/{table}') is not a Kinesis stream name"),
        "{err}"
    );
}

#[test]
fn the_javascript_transformer_routes_and_redacts() {
    let redact = example("js_redact");
    let settings = "spillway.transformer.config.detail-type.kinesis.inventory.products=ProductDataChangeEvent\n\
                    spillway.transformer.config.bus.kinesis.inventory.products=products\n\
                    spillway.transformer.config.detail-type.kinesis.inventory.customers=CustomerDataChangeEvent\n\
                    spillway.transformer.config.bus.kinesis.inventory.customers=customers\n\
                    spillway.transformer.config.redact=email\n";
    let (ok, out, err) = plugin_test("transformer", &redact, &sample("records.json"), settings);
    assert!(ok, "{err}");
    let entries: Vec<Value> = serde_json::from_str(&out).expect("entries");
    assert_eq!(entries.len(), 6, "{out}");
    let mut customers = 0;
    for entry in &entries {
        let detail: Value =
            serde_json::from_str(entry["Detail"].as_str().expect("detail")).expect("JSON");
        let payload = &detail["payload"];
        match entry["Source"].as_str() {
            Some("kinesis.inventory.customers") => {
                customers += 1;
                assert_eq!(entry["DetailType"], "CustomerDataChangeEvent");
                assert_eq!(entry["EventBusName"], "customers");
                for row in [&payload["before"], &payload["after"]] {
                    if !row.is_null() {
                        assert_eq!(row["email"], "[redacted]", "{row}");
                        assert_eq!(row["name"], "Sally Thomas", "{row}");
                    }
                }
            }
            Some("kinesis.inventory.products") => {
                assert_eq!(entry["DetailType"], "ProductDataChangeEvent");
                assert_eq!(entry["EventBusName"], "products");
                // Columns not listed pass untouched; so does the schema.
                assert_eq!(
                    payload["after"]["name"]
                        .as_str()
                        .or(payload["before"]["name"].as_str()),
                    Some("skateboard")
                );
            }
            other => panic!("unexpected source {other:?}"),
        }
        assert!(detail["schema"].is_object(), "the schema is kept");
    }
    assert_eq!(customers, 3);

    // A stream without a detail type: the plugin's error names the setting.
    let (ok, _, err) = plugin_test(
        "transformer",
        &redact,
        &sample("records.json"),
        "spillway.transformer.config.redact=email\n",
    );
    assert!(!ok);
    assert!(
        err.contains(
            "no detail-type configured for stream 'kinesis.inventory.products': set the plugin \
             setting 'detail-type.kinesis.inventory.products'"
        ),
        "{err}"
    );
}

#[test]
fn the_large_guests_stay_in_the_sandbox() {
    // An open port (PostgreSQL's) and a readable file: only the sandbox
    // stands between the guest and them.
    let port = std::env::var("PGPORT").unwrap_or_else(|_| "5432".to_owned());
    let probe = example("python_probe");
    let (name, value) = cache();
    let dir = tempfile::tempdir().expect("dir");
    let config = dir.path().join("probe.properties");
    std::fs::write(
        &config,
        format!("spillway.mapper.config.port={port}\nspillway.mapper.config.file=/etc/hostname\n"),
    )
    .expect("config");
    let output = Command::new(env!("CARGO_BIN_EXE_spillway"))
        .args(["plugin", "test", "mapper", &probe, "--input"])
        .arg(sample("tables.json"))
        .arg("--config")
        .arg(&config)
        .env(name, value)
        .env("SPILLWAY_PROBE_SECRET", "visible to the host only")
        .output()
        .expect("spillway");
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        out,
        "inventory.products -> file-denied.env-empty.net-denied\n\
         inventory.customers -> file-denied.env-empty.net-denied\n"
    );

    // A JavaScript guest built with HTTP (fetch) is refused when loaded.
    let (ok, _, err) = plugin_test(
        "transformer",
        &example("js_fetch"),
        &sample("records.json"),
        "",
    );
    assert!(!ok);
    assert!(err.contains("imports instance `wasi:http/"), "{err}");
    assert!(err.contains("Plugins get no network"), "{err}");
}

/// Provisions and runs the whole pipeline (`spillway run`) on `db` with
/// `settings` (a Kinesis capture configuration otherwise), waits until the
/// consumer deleted `snapshot` messages, applies `change`, waits for one more,
/// and returns the log.
fn run_pipeline(db: &Database, settings: &str, snapshot: usize, change: &str) -> String {
    let dir = tempfile::tempdir().expect("dir");
    let settings = format!(
        "{settings}\n\
         spillway.forward.checkpoint.dir={}\n\
         spillway.consumer.wait.seconds=1",
        dir.path().join("checkpoints").display()
    );
    let config = db.kinesis_config(dir.path(), &settings);
    let (ok, out, err) = spillway(
        &["provision", "--config", config.to_str().expect("path")],
        &[],
    );
    assert!(ok, "{out}{err}");
    let (name, value) = cache();
    let mut run = Command::new(env!("CARGO_BIN_EXE_spillway"));
    run.args(["run", "--config"]).arg(&config).env(name, value);
    let mut pipeline = Spillway::spawn(run, &dir.path().join("run.log"));
    pipeline.wait_for("deleted successfully", snapshot);
    db.sql(change);
    pipeline.wait_for("deleted successfully", snapshot + 1);
    pipeline.terminate()
}

#[test]
fn a_pipeline_runs_the_python_mapper_and_the_javascript_transformer() {
    support::require_aws_emulator();
    let prefix = format!("lang{}", std::process::id());
    let db = Database::create("examples_pipeline");
    db.sql_file(&root().join("configs/inventory.sql"));
    // Both tables into one stream, by the Python mapper; the JavaScript
    // transformer routes that stream and hides e-mail addresses.
    let stream = format!("{prefix}-inventory");
    let log = run_pipeline(
        &db,
        &format!(
            "debezium.source.topic.prefix={prefix}\n\
             debezium.source.table.include.list=inventory.products,inventory.customers\n\
             spillway.mapper.plugin={mapper}\n\
             spillway.mapper.config.routes=inventory.*={prefix}-{{schema}}\n\
             spillway.mapper.config.fallback=reject\n\
             spillway.forward.streams={stream}\n\
             spillway.transformer.plugin={transformer}\n\
             spillway.transformer.config.redact=email\n\
             spillway.transformer.config.detail-type.{stream}=InventoryChangeEvent\n\
             spillway.transformer.config.bus.{stream}={prefix}-inventory\n\
             spillway.consumer.queue={prefix}-data-change.fifo",
            mapper = example("python_router"),
            transformer = example("js_redact"),
        ),
        10,
        "UPDATE inventory.customers SET email = 'sally@acme.com' WHERE id = 1001",
    );
    assert!(log.contains(&format!("stream={stream}")), "{log}");
    let events = log
        .matches(&format!(
            "Received event detail-type: InventoryChangeEvent, source: {stream}"
        ))
        .count();
    assert!(events >= 11, "{log}");
    assert!(log.contains("'email': '[redacted]'"), "{log}");
    assert!(!log.contains("@acme.com"), "an address got through:\n{log}");
    assert!(
        !log.contains("@noanswer.org"),
        "an address got through:\n{log}"
    );
}

#[test]
fn the_c_mapper_makes_any_table_name_a_stream_name() {
    let mapper = example("c_safe_names");
    let dir = tempfile::tempdir().expect("dir");
    let tables = dir.path().join("tables.json");
    let long = "a_table_with_a_name_long_enough_to_need_shortening";
    let table = |schema: &str, name: &str| serde_json::json!({"server": "kinesis", "database": "db", "schema": schema, "name": name});
    std::fs::write(
        &tables,
        serde_json::json!([
            table("inventory", "Order Items"),
            table("inventory", "café"),
            table("inventory", "products"),
            table("inventory", &format!("{long}_1")),
            table("inventory", &format!("{long}_2")),
        ])
        .to_string(),
    )
    .expect("input");
    let (ok, out, err) = plugin_test("mapper", &mapper, &tables, "");
    assert!(ok, "{err}");
    let streams: Vec<&str> = out
        .lines()
        .map(|l| l.split(" -> ").nth(1).expect("a stream"))
        .collect();
    assert_eq!(
        &streams[..3],
        [
            "kinesis.inventory.order_items",
            "kinesis.inventory.caf_",
            "kinesis.inventory.products"
        ]
    );
    assert!(
        err.contains("inventory.Order Items -> kinesis.inventory.order_items"),
        "{err}"
    );

    // A long prefix: names cut to Kinesis' 128 characters, told apart by a
    // hash of the full name.
    let prefix = "p".repeat(100);
    let (ok, out, err) = plugin_test(
        "mapper",
        &mapper,
        &tables,
        &format!("spillway.mapper.config.prefix={prefix}\n"),
    );
    assert!(ok, "{err}");
    let long_streams: Vec<&str> = out
        .lines()
        .skip(3)
        .map(|l| l.split(" -> ").nth(1).expect("a stream"))
        .collect();
    assert_eq!(long_streams.len(), 2);
    for stream in &long_streams {
        assert_eq!(stream.len(), 128, "{stream}");
        assert!(
            stream.starts_with(&format!("{prefix}.inventory.")),
            "{stream}"
        );
    }
    assert_ne!(long_streams[0], long_streams[1]);

    // Other settings: no prefix, another separator, case kept.
    let (ok, out, err) = plugin_test(
        "mapper",
        &mapper,
        &tables,
        "spillway.mapper.config.prefix=none\nspillway.mapper.config.separator=-\nspillway.mapper.config.lowercase=false\n",
    );
    assert!(ok, "{err}");
    assert!(
        out.starts_with("inventory.Order Items -> inventory-Order_Items\n"),
        "{out}"
    );
}

#[test]
fn a_pipeline_runs_the_c_mapper_on_a_table_kinesis_could_not_name() {
    support::require_aws_emulator();
    let prefix = format!("c{}", std::process::id());
    let db = Database::create("examples_c_pipeline");
    db.sql(
        r#"CREATE TABLE "Order Items" (id int PRIMARY KEY, sku text);
           INSERT INTO "Order Items" VALUES (1, 'A-1'), (2, 'B-2');"#,
    );
    let stream = format!("{prefix}.public.order_items");
    let log = run_pipeline(
        &db,
        &format!(
            "debezium.source.topic.prefix={prefix}\n\
             spillway.mapper.plugin={mapper}\n\
             spillway.forward.streams={stream}\n\
             spillway.transformer.config.detail-type.{stream}=OrderItemChangeEvent\n\
             spillway.transformer.config.bus.{stream}={prefix}-orders\n\
             spillway.consumer.queue={prefix}-orders.fifo",
            mapper = example("c_safe_names"),
        ),
        2,
        r#"UPDATE "Order Items" SET sku = 'C-3' WHERE id = 2"#,
    );
    assert!(log.contains(&format!("stream={stream}")), "{log}");
    assert!(
        log.matches(&format!(
            "Received event detail-type: OrderItemChangeEvent, source: {stream}"
        ))
        .count()
            >= 3,
        "{log}"
    );
    assert!(log.contains("'sku': 'C-3'"), "{log}");
}

/// The filter examples in Rust, Python and JavaScript, Spillway's answer to
/// Debezium's scripted Filter, keep the same records for the same settings:
/// the insert of a scooter (operation and column value match), not the
/// delete (its old row has no name), and the tombstone (it follows its
/// delete's operation, which is kept).
#[test]
fn the_rust_python_and_javascript_filters_keep_what_their_settings_name() {
    let settings = "debezium.transforms=keep\n\
                    debezium.transforms.keep.operations=c,d\n\
                    debezium.transforms.keep.column=name\n\
                    debezium.transforms.keep.equals=scooter\n";
    let rust = Path::new(spillway_plugin::builtin::BUILD_DIR)
        .join("spillway_example_rust_filter.wasm")
        .display()
        .to_string();
    for (filter, file) in [
        ("rust-filter", rust),
        ("python-filter", example("python_filter")),
        ("js-filter", example("js_filter")),
    ] {
        let (ok, out, err) =
            plugin_test("transform", &file, &sample("change-records.json"), settings);
        assert!(ok, "{filter}: {err}");
        let made: serde_json::Value = serde_json::from_str(&out).expect("JSON");
        let counts: Vec<usize> = made
            .as_array()
            .expect("a list per record")
            .iter()
            .map(|m| m.as_array().map_or(0, Vec::len))
            .collect();
        assert_eq!(counts, [1, 0, 1], "{filter}: {out}");
        assert_eq!(made[0][0]["value"]["after"]["name"], "scooter", "{filter}");
        assert_eq!(made[2][0]["operation"], "tombstone", "{filter}");
    }
}
