//! `spillway capture` while its PostgreSQL restarts. A test binary of its
//! own: restarting the server would disturb the other capture tests, and
//! cargo runs test binaries one after another.

use std::path::Path;
use std::time::{Duration, Instant};

use support::postgres::{Database, start_capture, wait_for_every_id, wait_for_records, write_rows};
use support::{Cluster, http_get};

mod support;

/// The port of the cluster the outage test stops (the other test restarts the
/// shared one).
const OUTAGE_PORT: u16 = 54343;

/// How long PostgreSQL stays down: over a minute. Before capture waited for
/// the server itself, the replication library's three reconnection attempts
/// gave up after about a minute (63 s when seen) and capture exited.
const OUTAGE: Duration = Duration::from_secs(75);

/// A fast shutdown (what `pg_ctl stop` and systemd do) completes while capture
/// is connected, capture waits for the server however long it is away (not
/// ready meanwhile), and resumes without losing a change.
#[test]
fn postgres_stopped_for_a_while_under_capture_loses_nothing() {
    let cluster = Cluster::start(OUTAGE_PORT, "-c wal_level=logical");
    cluster.psql("DROP TABLE IF EXISTS t; CREATE TABLE t (id int PRIMARY KEY, note text)");
    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().join("events.jsonl");
    let config = cluster.capture_config(
        dir.path(),
        "outage",
        "spillway.stdout.format=record\n\
         spillway.capture.heartbeat.interval.ms=1000\n\
         spillway.http.address=127.0.0.1:0",
    );
    let mut capture = start_capture(&config, &dir, &out);
    let endpoint = capture.endpoint();
    capture.wait_for("streaming", 1);
    cluster.psql("INSERT INTO t SELECT g, 'before' FROM generate_series(1, 100) g");
    wait_for_every_id(&out, "c", 1..101);
    assert_eq!(http_get(&endpoint, "/health/ready").0, 200);

    let stopped = Instant::now();
    cluster.stop();
    let ready = readiness_becomes(&endpoint, 503);
    assert!(ready.contains(r#""capture":"starting""#), "{ready}");
    std::thread::sleep(OUTAGE.saturating_sub(stopped.elapsed()));
    cluster.start_again();
    cluster.psql("INSERT INTO t SELECT g, 'after' FROM generate_series(101, 200) g");
    wait_for_every_id(&out, "c", 1..201);
    readiness_becomes(&endpoint, 200);
    let log = capture.terminate();
    assert!(
        log.contains("PostgreSQL is back: capture starts again"),
        "{log}"
    );
}

#[test]
fn postgres_restart_under_capture_loses_nothing() {
    let db = Database::create("capture_restart");
    db.sql("CREATE TABLE t (id int PRIMARY KEY, note text)");
    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().join("events.jsonl");
    let config = db.config(dir.path(), "capture_restart", "");
    let mut capture = start_capture(&config, &dir, &out);
    capture.wait_for("streaming", 1);
    write_rows(&db.name, 1, 500).join().expect("writer");
    wait_for_records(&out, 500);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/dev-env");
    let status = std::process::Command::new(script)
        .args(["restart", "postgres"])
        .env("DEV_PG_PORT", std::env::var("PGPORT").expect("PGPORT"))
        .status()
        .expect("restart PostgreSQL");
    assert!(status.success());
    write_rows(&db.name, 501, 500).join().expect("writer");
    wait_for_every_id(&out, "c", 1..1001);
    capture.terminate();
}

/// Waits (30 s at most) until `/health/ready` answers `status`; its body.
fn readiness_becomes(endpoint: &str, status: u16) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (now, body) = http_get(endpoint, "/health/ready");
        if now == status {
            return body;
        }
        assert!(Instant::now() < deadline, "readiness stayed {now}: {body}");
        std::thread::sleep(Duration::from_millis(200));
    }
}
