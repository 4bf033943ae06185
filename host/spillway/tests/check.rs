//! `spillway check` against real PostgreSQL and moto: a list of broken
//! setups, each reported with its own message and fix (and a non-zero exit),
//! then the same setup provisioned, which passes. A second cluster started
//! with wal_level=replica and no replication slots shows the server-side
//! problems, from `check` and from `capture` itself.

use std::path::{Path, PathBuf};

use support::postgres::{Database, psql};
use support::{Cluster, spillway};

mod support;

/// The port of the misconfigured cluster (scripts/test's own are 54339 and 54340).
const MISCONFIGURED_PORT: u16 = 54341;

/// `spillway check` on `config` with `env`: whether it passed, and its report.
fn check(config: &Path, env: &[(&str, &str)]) -> (bool, String) {
    let (passed, out, err) = spillway(&["check", "--config", path(config)], env);
    assert!(!out.is_empty(), "no report; stderr:\n{err}");
    (passed, out)
}

fn path(config: &Path) -> &str {
    config.to_str().expect("a UTF-8 path")
}

/// A copy of `config` with `lines` added.
fn with_lines(config: &Path, name: &str, lines: &str) -> PathBuf {
    let copy = config.with_file_name(name);
    let text = std::fs::read_to_string(config).expect("config");
    std::fs::write(&copy, format!("{text}{lines}\n")).expect("config");
    copy
}

/// Asserts that the report fails and has a `PROBLEM <subject>: ...` line
/// containing `message`.
fn assert_problem(report: &(bool, String), subject: &str, message: &str) {
    let (passed, text) = report;
    assert!(!passed, "check passed:\n{text}");
    let prefix = format!("PROBLEM {subject}");
    // A finding is its first line and the indented lines after it.
    let mut findings: Vec<String> = Vec::new();
    for line in text.lines() {
        match findings.last_mut() {
            Some(last) if line.starts_with(' ') => last.push_str(line),
            _ => findings.push(line.to_owned()),
        }
    }
    assert!(
        findings
            .iter()
            .any(|f| f.starts_with(&prefix) && f.contains(message)),
        "no problem for {subject} with {message:?}:\n{text}"
    );
}

#[test]
fn check_names_each_broken_setup_and_passes_a_provisioned_one() {
    support::require_aws_emulator();
    let prefix = format!("check{}", std::process::id());
    let db = Database::create("check_setups");
    db.sql_file(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs/inventory.sql"));
    db.sql(
        "CREATE TABLE inventory.notes (body text);
         DROP ROLE IF EXISTS check_reader;
         CREATE ROLE check_reader LOGIN PASSWORD 'reader';",
    );
    let dir = tempfile::tempdir().expect("dir");
    let config = db.pipeline_config(dir.path(), &prefix);

    // Nothing provisioned: each missing resource, with the command that makes it.
    let report = check(&config, &[]);
    let products = format!("{prefix}.inventory.products");
    assert_problem(
        &report,
        &format!("Kinesis stream {products}"),
        "does not exist: create it (`spillway provision",
    );
    assert_problem(
        &report,
        &format!("EventBridge bus {prefix}-products"),
        "does not exist",
    );
    assert_problem(
        &report,
        &format!("SQS queue {prefix}-data-change.fifo"),
        "does not exist",
    );
    // ... while what is right is reported as such.
    let text = &report.1;
    assert!(text.contains("ok      wal_level: logical"), "{text}");
    let sample = format!(
        "ok      transformer on {products}: a sample change event becomes \
         ProductDataChangeEvent to bus {prefix}-products"
    );
    assert!(text.contains(&sample), "{text}");

    let (provisioned, out, err) = spillway(&["provision", "--config", path(&config)], &[]);
    assert!(provisioned, "{out}{err}");
    let (passed, text) = check(&config, &[]);
    assert!(passed, "{text}");
    assert!(text.ends_with("no problems found\n"), "{text}");
    assert!(
        text.contains("ok      state table public.spillway_capture_state: will be created"),
        "{text}"
    );

    // Broken setups, one at a time.
    let typo = with_lines(
        &config,
        "typo.properties",
        "debezium.source.column.exculde.list=x",
    );
    assert_problem(
        &check(&typo, &[]),
        "configuration",
        "debezium.source.column.exclude.list",
    );
    assert_problem(
        &check(&config, &[("DEBEZIUM_SOURCE_DATABASE_PASSWORD", "wrong")]),
        "PostgreSQL",
        "the password is wrong: check debezium.source.database.password",
    );
    let other_user = [
        ("DEBEZIUM_SOURCE_DATABASE_USER", "check_reader"),
        ("DEBEZIUM_SOURCE_DATABASE_PASSWORD", "reader"),
    ];
    let report = check(&config, &other_user);
    assert_problem(
        &report,
        "replication privilege",
        r#"grant it with ALTER ROLE "check_reader" REPLICATION"#,
    );
    assert_problem(
        &report,
        "captured tables",
        r#"may not read "inventory"."products", "inventory"."customers": GRANT SELECT ON"#,
    );
    assert_problem(
        &report,
        "state table public.spillway_capture_state",
        r#"user 'check_reader' may not create it in schema public: as the schema's owner, run CREATE TABLE "public"."spillway_capture_state""#,
    );
    assert_problem(
        &check(
            &config,
            &[("SPILLWAY_CAPTURE_STATE_TABLE", "spillway.capture_state")],
        ),
        "state table spillway.capture_state",
        "schema spillway does not exist",
    );
    assert_problem(
        &check(
            &config,
            &[(
                "DEBEZIUM_SOURCE_TABLE_INCLUDE_LIST",
                "inventory.products,inventory.notes",
            )],
        ),
        "captured tables",
        r#""inventory"."notes": they have no primary key and no replica identity"#,
    );
    assert_problem(
        &check(
            &config,
            &[("DEBEZIUM_SOURCE_TABLE_INCLUDE_LIST", "inventory.missing")],
        ),
        "captured tables",
        "no table matches",
    );
    assert_problem(
        &check(
            &config,
            &[("DEBEZIUM_SOURCE_PUBLICATION_AUTOCREATE_MODE", "disabled")],
        ),
        "publication check_setups",
        "does not exist and publication.autocreate.mode=disabled",
    );
    // Slot names are per server: one of another database is not ours to use.
    let elsewhere = "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots \
                     WHERE slot_name = 'check_elsewhere'";
    psql("postgres", elsewhere);
    psql(
        "postgres",
        "SELECT pg_create_logical_replication_slot('check_elsewhere', 'pgoutput')",
    );
    let report = check(&config, &[("DEBEZIUM_SOURCE_SLOT_NAME", "check_elsewhere")]);
    psql("postgres", elsewhere);
    assert_problem(
        &report,
        "replication slot check_elsewhere",
        "belongs to database 'postgres', not this one",
    );
    let transformer = Path::new(spillway_plugin::builtin::BUILD_DIR)
        .join("spillway_transformer.wasm")
        .display()
        .to_string();
    assert_problem(
        &check(&config, &[("SPILLWAY_MAPPER_PLUGIN", &transformer)]),
        "mapper plugin",
        "does not implement world 'mapper-plugin'",
    );
    let orders = format!("{prefix}.inventory.orders");
    let report = check(
        &config,
        &[("SPILLWAY_FORWARD_STREAMS", &format!("{products},{orders}"))],
    );
    assert_problem(
        &report,
        &format!("Kinesis stream {orders}"),
        "does not exist",
    );
    assert_problem(
        &report,
        &format!("transformer on {orders}"),
        &format!("no detail-type configured for stream '{orders}'"),
    );
}

#[test]
fn a_server_without_logical_decoding_or_free_slots_is_named() {
    // A cluster of its own (scripts/test stops it too, should this test be
    // killed): wal_level=replica, no replication slots.
    let cluster = Cluster::start(
        MISCONFIGURED_PORT,
        "-c wal_level=replica -c max_replication_slots=0 -c max_wal_senders=0",
    );
    cluster.psql("CREATE TABLE IF NOT EXISTS public.items (id int PRIMARY KEY)");
    let dir = tempfile::tempdir().expect("dir");
    let config = cluster.capture_config(dir.path(), "replica", "");

    let report = check(&config, &[]);
    assert_problem(
        &report,
        "wal_level",
        "PostgreSQL runs with wal_level=replica; capture needs wal_level=logical",
    );
    assert_problem(
        &report,
        "replication slot debezium",
        "all 0 replication slots are in use: raise max_replication_slots",
    );

    let (ran, _, err) = spillway(&["capture", "--config", path(&config)], &[]);
    assert!(!ran, "capture ran without logical decoding");
    assert!(
        err.contains("capture needs wal_level=logical")
            && err.contains("ALTER SYSTEM SET wal_level = logical"),
        "{err}"
    );
    drop(cluster);
    // The main cluster was not touched.
    assert_eq!(psql("postgres", "SHOW wal_level").trim(), "logical");
}
