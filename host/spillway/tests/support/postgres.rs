//! A database of its own per test on the PostgreSQL that scripts/test starts
//! (found through PGHOST, PGPORT, PGUSER, PGPASSWORD), and capture's output.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{Spillway, Wait};
use std::process::Command;
use std::time::Duration;

/// A fresh database, dropped (with its replication slots) at the end.
pub struct Database {
    /// The database's name.
    pub name: String,
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!(
            "{name} is not set: these tests need PostgreSQL; run them through scripts/test, or \
             `scripts/dev-env start` and `eval \"$(scripts/dev-env env)\"` first"
        )
    })
}

impl Database {
    /// Creates database `name` (dropping a leftover of an earlier run).
    pub fn create(name: &str) -> Self {
        let db = Database {
            name: name.to_owned(),
        };
        db.cleanup();
        psql("postgres", &format!("CREATE DATABASE {name}"));
        db
    }

    /// Runs `sql` in this database; returns psql's unaligned output.
    pub fn sql(&self, sql: &str) -> String {
        psql(&self.name, sql)
    }

    /// Runs the SQL file at `path`.
    pub fn sql_file(&self, path: &Path) {
        let output = Command::new("psql")
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &self.name, "-f"])
            .arg(path)
            .output()
            .expect("run psql");
        assert!(
            output.status.success(),
            "psql -f {} failed: {}",
            path.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// A configuration capturing this database to the stdout sink (format
    /// `record`), with slot and publication named `slot`, topic prefix `test`
    /// unless `extra` sets one, plus `extra` lines.
    pub fn config(&self, dir: &Path, slot: &str, extra: &str) -> PathBuf {
        let path = dir.join("capture.properties");
        std::fs::write(
            &path,
            format!(
                "debezium.source.connector.class=io.debezium.connector.postgresql.PostgresConnector\n\
                 debezium.source.database.hostname={}\n\
                 debezium.source.database.port={}\n\
                 debezium.source.database.user={}\n\
                 debezium.source.database.password={}\n\
                 debezium.source.database.dbname={}\n\
                 {prefix}\
                 debezium.source.slot.name={slot}\n\
                 debezium.source.publication.name={slot}\n\
                 debezium.sink.type=stdout\n\
                 spillway.stdout.format=record\n\
                 spillway.capture.state.file={}\n\
                 {extra}\n",
                env("PGHOST"),
                env("PGPORT"),
                env("PGUSER"),
                env("PGPASSWORD"),
                self.name,
                dir.join("state.json").display(),
                prefix = if extra.contains("topic.prefix") {
                    ""
                } else {
                    "debezium.source.topic.prefix=test\n"
                },
            ),
        )
        .expect("write configuration");
        path
    }

    /// The whole pipeline's configuration for this database (the
    /// reference's inventory tables): capture to Kinesis streams named
    /// `<prefix>.inventory.<table>`, forward to buses `<prefix>-products` and
    /// `<prefix>-customers`, consume from `<prefix>-data-change.fifo`.
    pub fn pipeline_config(&self, dir: &Path, prefix: &str) -> PathBuf {
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
            checkpoints = dir.join("checkpoints").display(),
        );
        self.kinesis_config(dir, &settings)
    }

    /// A configuration capturing this database to Kinesis (slot and
    /// publication named after the database), with `settings` added.
    pub fn kinesis_config(&self, dir: &Path, settings: &str) -> PathBuf {
        let config = self.config(dir, &self.name, settings);
        let text = std::fs::read_to_string(&config)
            .expect("config")
            .replace("debezium.sink.type=stdout", "debezium.sink.type=kinesis")
            .replace("spillway.stdout.format=record\n", "");
        std::fs::write(&config, text).expect("config");
        config
    }

    /// The slot's confirmed position, as a number.
    pub fn confirmed_lsn(&self, slot: &str) -> Option<u64> {
        let text = psql(
            "postgres",
            &format!(
                "SELECT confirmed_flush_lsn - '0/0' FROM pg_replication_slots WHERE slot_name = '{slot}'"
            ),
        );
        text.trim().parse().ok()
    }

    fn cleanup(&self) {
        // A walsender can take a moment to go after its client: its slot is
        // dropped once it is no longer active.
        for _ in 0..50 {
            psql(
                "postgres",
                &format!(
                    "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots \
                     WHERE database = '{0}' AND active_pid IS NOT NULL",
                    self.name
                ),
            );
            psql(
                "postgres",
                &format!(
                    "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots \
                     WHERE database = '{0}' AND active_pid IS NULL",
                    self.name
                ),
            );
            let left = psql(
                "postgres",
                &format!(
                    "SELECT count(*) FROM pg_replication_slots WHERE database = '{0}'",
                    self.name
                ),
            );
            if left.trim() == "0" {
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        psql(
            "postgres",
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            self.cleanup();
        }
    }
}

/// Runs `sql` in `database` with psql; panics with psql's error if it fails.
pub fn psql(database: &str, sql: &str) -> String {
    let output = Command::new("psql")
        .args([
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            database,
            "-c",
            sql,
        ])
        .output()
        .expect("run psql");
    assert!(
        output.status.success(),
        "psql failed on {sql:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The records capture wrote to `path` so far (`spillway.stdout.format=record`).
/// A capture killed in the middle of a line leaves it unfinished, and the
/// next run's first record continues that line: the unfinished record is
/// skipped (it is delivered again) and the next run's record read from where
/// it starts. (That record matters: PostgreSQL's synchronized scans can start
/// the next run's snapshot right where the killed one stopped.)
pub fn records(path: &Path) -> Vec<serde_json::Value> {
    const RECORD_START: &str = r#"{"destination":"#;
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| {
            serde_json::from_str(line).ok().or_else(|| {
                let start = line.rfind(RECORD_START).filter(|at| *at > 0)?;
                serde_json::from_str(&line[start..]).ok()
            })
        })
        .collect()
}

/// Waits until `path` holds at least `count` records; fails when [`Wait`]
/// says the wait stalled.
pub fn wait_for_records(path: &Path, count: usize) -> Vec<serde_json::Value> {
    wait_for_read(path, count, records)
}

/// Waits until `read` finds at least `count` items in `path` (records, or
/// a test's own lighter reading of them); fails when [`Wait`] says the wait
/// stalled.
pub fn wait_for_read<T>(path: &Path, count: usize, read: impl Fn(&Path) -> Vec<T>) -> Vec<T> {
    let mut wait = Wait::new();
    loop {
        let found = read(path);
        if found.len() >= count {
            return found;
        }
        assert!(
            wait.goes_on(found.len()),
            "waited for {count} records, got {} ({})",
            found.len(),
            wait.why()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Starts `spillway capture`, its events appended to `out`.
pub fn start_capture(config: &Path, dir: &tempfile::TempDir, out: &Path) -> Spillway {
    Spillway::start_with_output("capture", config, dir.path(), None, Some(out))
}

/// Ids of the `op` events about `table` in `records`.
pub fn ids(records: &[Value], table: &str, op: &str) -> Vec<i64> {
    records
        .iter()
        .filter(|r| r["value"]["payload"]["source"]["table"] == table)
        .filter(|r| r["value"]["payload"]["op"] == op)
        .filter_map(|r| r["value"]["payload"]["after"]["id"].as_i64())
        .collect()
}

/// Inserts `count` rows into `t` in small transactions, from another thread.
pub fn write_rows(db: &str, from: i64, count: i64) -> std::thread::JoinHandle<()> {
    let db = db.to_owned();
    std::thread::spawn(move || {
        for start in (from..from + count).step_by(50) {
            psql(
                &db,
                &format!(
                    "INSERT INTO t SELECT g, 'row ' || g FROM generate_series({start}, {}) g",
                    start + 49
                ),
            );
        }
    })
}

/// Waits until events `op` of table `t` in `path` carry every id of `range`
/// (duplicates allowed: delivery is at least once); fails when [`Wait`] says
/// the wait stalled.
pub fn wait_for_every_id(path: &Path, op: &str, range: std::ops::Range<i64>) {
    let mut wait = Wait::new();
    loop {
        let mut seen = ids(&records(path), "t", op);
        seen.sort_unstable();
        seen.dedup();
        let missing: Vec<i64> = range
            .clone()
            .filter(|i| seen.binary_search(i).is_err())
            .collect();
        if missing.is_empty() {
            return;
        }
        assert!(
            wait.goes_on(seen.len()),
            "{} ids never delivered, first {:?} ({})",
            missing.len(),
            &missing[..missing.len().min(10)],
            wait.why()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}
