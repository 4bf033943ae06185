//! Debezium Server configuration files in the style of real deployments
//! (`tests/configs/`, one per key family: Quarkus' keys, offsets and schema
//! history, 1.x names, formats, heartbeats, environment-only set-ups), loaded
//! by `spillway` against a real PostgreSQL. Each test checks what the keys
//! mean (the events written, the log, the health probes), not only that the
//! file loads.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use support::postgres::{Database, wait_for_records};
use support::{Spillway, http_get, spillway};

mod support;

/// A file of the corpus.
fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/configs")
        .join(name)
}

/// `spillway capture --config <config>` with `env`, writing its events to
/// `<dir>/events` through the stdout sink (records), its state in `dir`.
fn capture(config: &Path, dir: &Path, env: &[(&str, &str)]) -> Spillway {
    let events = std::fs::File::create(dir.join("events")).expect("events file");
    let mut process = Command::new(env!("CARGO_BIN_EXE_spillway"));
    process
        .args(["capture", "--config"])
        .arg(config)
        .env("DEBEZIUM_SINK_TYPE", "stdout")
        .env("SPILLWAY_STDOUT_FORMAT", "record")
        .env("SPILLWAY_CAPTURE_STATE_FILE", dir.join("state.json"))
        .env("SPILLWAY_PLUGINS_CACHE_DIR", "none")
        .envs(env.iter().copied())
        .stdout(events);
    Spillway::spawn(process, &dir.join("capture.log"))
}

/// The records of `destination`.
fn to<'a>(records: &'a [Value], destination: &str) -> Vec<&'a Value> {
    records
        .iter()
        .filter(|r| r["destination"] == destination)
        .collect()
}

/// Waits until a record for `destination` matches `found`.
fn wait_for(dir: &Path, destination: &str, found: impl Fn(&Value) -> bool) -> Vec<Value> {
    let mut seen = 0;
    loop {
        let all = wait_for_records(&dir.join("events"), seen + 1);
        if to(&all, destination).into_iter().any(&found) {
            return all;
        }
        seen = all.len();
    }
}

#[test]
fn the_reference_file_has_exactly_one_problem_the_misspelled_column_exclude_list() {
    let (passed, report, _) = spillway(
        &[
            "check",
            "--config",
            corpus("reference-application.properties").to_str().unwrap(),
        ],
        &[],
    );
    assert!(!passed, "{report}");
    assert!(
        report.contains("the configuration has 1 problem(s)"),
        "{report}"
    );
    assert!(
        report.contains(
            "'debezium.source.column.exculde.list' (line 21): did you mean \
             'debezium.source.column.exclude.list'?"
        ),
        "{report}"
    );
    assert!(report.ends_with("1 problem found\n"), "{report}");
}

#[test]
fn a_debezium_1x_file_keeps_its_meaning() {
    let db = Database::create("config_legacy");
    db.sql(
        "CREATE SCHEMA shop;
         CREATE TABLE shop.items (id int PRIMARY KEY, name text, internal_note text);
         CREATE TABLE shop.other (id int PRIMARY KEY);
         CREATE TABLE shop.heartbeat (id int PRIMARY KEY, beats int NOT NULL);
         INSERT INTO shop.heartbeat VALUES (1, 0);
         INSERT INTO shop.items VALUES (1, 'before capture', 'secret');",
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let config = corpus("legacy-1x.properties");
    let mut capture = capture(&config, dir.path(), &[("LEGACY_DB", &db.name)]);
    capture.wait_for("streaming", 1);
    db.sql(
        "INSERT INTO shop.items VALUES (2, 'after', 'secret');
         INSERT INTO shop.other VALUES (2);",
    );
    let records = wait_for(dir.path(), "legacy.shop.items", |r| {
        r["value"]["payload"]["after"]["id"] == 2
    });
    // A heartbeat record on the old prefix key's topic, named by
    // database.server.name, and the action query run with it.
    let records = if to(&records, "beats.legacy").is_empty() {
        wait_for(dir.path(), "beats.legacy", |_| true)
    } else {
        records
    };
    let log = capture.terminate();
    // snapshot.mode=never: the row written before is not read; table.whitelist
    // leaves shop.other out; column.blacklist drops the note.
    let items = to(&records, "legacy.shop.items");
    assert_eq!(items.len(), 1, "{records:#?}");
    let event = &items[0]["value"]["payload"];
    assert_eq!(event["op"], "c");
    assert_eq!(event["source"]["name"], "legacy");
    assert_eq!(
        event["after"],
        serde_json::json!({"id": 2, "name": "after"})
    );
    assert!(to(&records, "legacy.shop.other").is_empty(), "{records:#?}");
    let beat = to(&records, "beats.legacy")[0];
    assert_eq!(
        beat["key"]["payload"],
        serde_json::json!({"serverName": "legacy"})
    );
    assert!(beat["value"]["payload"]["ts_ms"].as_i64().expect("ts_ms") > 0);
    let beats: i64 = db
        .sql("SELECT beats FROM shop.heartbeat")
        .trim()
        .parse()
        .expect("beats");
    assert!(beats >= 1, "heartbeat.action.query never ran:\n{log}");
    // Each accepted key is said once, with why.
    for said in [
        "'debezium.source.database.server.name' (line 18) is Debezium's old name of \
         'debezium.source.topic.prefix'; read as 'debezium.source.topic.prefix'",
        "'debezium.source.snapshot.mode' = 'never' (line 25) is Debezium's old name of 'no_data'",
        "'debezium.source.database.history' (line 11) has no effect: the PostgreSQL connector \
         keeps no schema history",
        "'debezium.source.offset.storage' (line 8) has no effect",
        "'quarkus.banner.enabled' (line 35) has no effect",
    ] {
        assert!(log.contains(said), "{said:?} not in:\n{log}");
    }
}

#[test]
fn events_without_schemas_json_logs_and_an_environment_only_connection() {
    let db = Database::create("config_plain");
    db.sql("CREATE TABLE items (id int PRIMARY KEY, name text)");
    let dir = tempfile::tempdir().expect("tempdir");
    let env = |name: &str| std::env::var(name).expect("PostgreSQL's settings");
    let (host, port, user, password) = (
        env("PGHOST"),
        env("PGPORT"),
        env("PGUSER"),
        env("PGPASSWORD"),
    );
    let mut process = capture(
        &corpus("json-without-schemas.properties"),
        dir.path(),
        &[
            ("DEBEZIUM_SOURCE_DATABASE_HOSTNAME", &host),
            ("DEBEZIUM_SOURCE_DATABASE_PORT", &port),
            ("DEBEZIUM_SOURCE_DATABASE_USER", &user),
            ("DEBEZIUM_SOURCE_DATABASE_PASSWORD", &password),
            ("DEBEZIUM_SOURCE_DATABASE_DBNAME", &db.name),
            ("DEBEZIUM_SOURCE_SLOT_NAME", &db.name),
            ("DEBEZIUM_SOURCE_PUBLICATION_NAME", &db.name),
            ("RUST_LOG", ""),
        ],
    );
    process.wait_for("streaming", 1);
    db.sql("INSERT INTO items VALUES (7, 'plain')");
    let records = wait_for(dir.path(), "plain.public.items", |_| true);
    let log = process.terminate();
    let record = to(&records, "plain.public.items")[0];
    // The key and value are the payloads alone, as Debezium's JSON converter
    // writes them with schemas.enable=false.
    assert_eq!(record["key"], serde_json::json!({"id": 7}));
    let value = &record["value"];
    assert!(value.get("schema").is_none(), "{value}");
    assert_eq!(value["op"], "c");
    assert_eq!(
        value["after"],
        serde_json::json!({"id": 7, "name": "plain"})
    );
    assert_eq!(value["source"]["table"], "items");
    // Every log line is a JSON object, and the level is DEBUG.
    let lines: Vec<Value> = log
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    assert!(lines.iter().any(|l| l["level"] == "DEBUG"), "{log}");
    assert!(
        lines.iter().any(|l| l["message"]
            .as_str()
            .is_some_and(|m| m.contains("streaming"))),
        "{log}"
    );
}

#[test]
fn quarkus_probes_answer_and_the_quarkus_level_quiets_the_log() {
    let db = Database::create("config_probes");
    db.sql("CREATE TABLE items (id int PRIMARY KEY)");
    let dir = tempfile::tempdir().expect("tempdir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
        .to_string();
    let address = format!("127.0.0.1:{port}");
    let mut process = capture(
        &corpus("debezium-server-probes.properties"),
        dir.path(),
        &[
            ("PROBES_DB", &db.name),
            ("PROBES_PORT", &port),
            ("RUST_LOG", ""),
        ],
    );
    let mut wait = support::Wait::new();
    let ready = loop {
        if std::net::TcpStream::connect(&address).is_ok() {
            let (status, body) = http_get(&address, "/q/health/ready");
            if status == 200 {
                break body;
            }
        }
        assert!(process.running(), "capture exited:\n{}", process.log());
        assert!(
            wait.goes_on(0),
            "never ready ({}):\n{}",
            wait.why(),
            process.log()
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let ready: Value = serde_json::from_str(&ready).expect("JSON");
    assert_eq!(ready["status"], "UP");
    assert_eq!(
        ready["checks"][0],
        serde_json::json!({"name": "capture", "status": "UP"})
    );
    for path in ["/q/health/live", "/q/health", "/health/ready", "/metrics"] {
        assert_eq!(http_get(&address, path).0, 200, "{path}");
    }
    db.sql("INSERT INTO items VALUES (1)");
    wait_for(dir.path(), "probes.public.items", |_| true);
    let log = process.terminate();
    // quarkus.log.level=WARN: not one INFO line (the keys without effect are
    // said at INFO, so they are quiet too).
    assert!(!log.contains("INFO"), "{log}");
}

#[test]
fn check_lists_every_problem_of_a_file_at_once_each_with_its_fix() {
    let (passed, report, _) = spillway(
        &[
            "check",
            "--config",
            corpus("unsupported-choices.properties").to_str().unwrap(),
        ],
        &[
            ("DEBEZIUM_SOURCE_SIGNAL_ENABLED_CHANNELS", "source"),
            ("DEBEZIUM_SOURCE_TABLE_INCLUDE_LIS", "public.outbox"),
        ],
    );
    assert!(!passed, "{report}");
    for problem in [
        "the configuration has 9 problem(s)",
        "'debezium.sink.type' = 'kafka' (line 4): Spillway's sinks are kinesis and stdout",
        "'debezium.sink.kinesis.regoin' (line 7): did you mean 'debezium.sink.kinesis.region'?",
        "'debezium.format.value' = 'avro' (line 8): Spillway writes JSON events only",
        "'debezium.source.column.truncate.to.10.chars' (line 9): not supported yet",
        "'debezium.source.column.mask.with.5.chars' (line 10): not supported yet",
        "'debezium.source.database.hostname' (line 12): '${UNSET_PG_HOST}' names neither",
        "'debezium.source.database.sslpasword' (line 13): did you mean \
         'debezium.source.database.sslpassword'?",
        "'debezium.source.signal.enabled.channels' (environment variable \
         DEBEZIUM_SOURCE_SIGNAL_ENABLED_CHANNELS): not supported yet",
        "'debezium.source.table.include.lis' (environment variable \
         DEBEZIUM_SOURCE_TABLE_INCLUDE_LIS): did you mean 'debezium.source.table.include.list'?",
    ] {
        assert!(report.contains(problem), "{problem:?} not in:\n{report}");
    }
    // The Kafka sink's own keys are not reported one by one.
    assert!(!report.contains("bootstrap.servers"), "{report}");
}

#[test]
fn a_debezium_only_file_is_checked_as_a_capture() {
    let db = Database::create("config_check_capture");
    db.sql("CREATE TABLE items (id int PRIMARY KEY)");
    let (_, report, _) = spillway(
        &[
            "check",
            "--config",
            corpus("debezium-server-probes.properties")
                .to_str()
                .unwrap(),
        ],
        &[("PROBES_DB", &db.name), ("PROBES_PORT", "0")],
    );
    assert!(
        report.contains("ok      spillway.run.stages: capture\n"),
        "{report}"
    );
    // Only capture's parts are checked: no forward or consumer settings are
    // asked for, and the keys without effect are listed, not refused.
    assert!(!report.contains("spillway.forward"), "{report}");
    assert!(!report.contains("spillway.consumer"), "{report}");
    assert!(
        report.contains("'debezium.source.snapshot.new.tables' (line 18) has no effect"),
        "{report}"
    );
    assert!(report.contains("PostgreSQL"), "{report}");
}
