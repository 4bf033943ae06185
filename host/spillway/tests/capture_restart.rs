//! `spillway capture` while its PostgreSQL restarts. A test binary of its
//! own: restarting the server would disturb the other capture tests, and
//! cargo runs test binaries one after another.

use std::path::Path;

use support::postgres::{Database, start_capture, wait_for_every_id, wait_for_records, write_rows};

mod support;

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
