//! `spillway capture` with the Kinesis sink, against a real PostgreSQL and a
//! real AWS emulator (moto), both started by scripts/test.

use std::path::Path;
use std::time::{Duration, Instant};

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::types::ShardIteratorType;
use serde_json::Value;
use support::postgres::Database;
use support::{Spillway, Wait};

mod support;

async fn kinesis() -> Client {
    support::require_aws_emulator();
    Client::new(&aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await)
}

async fn create_stream(kinesis: &Client, name: &str) {
    kinesis
        .create_stream()
        .stream_name(name)
        .shard_count(1)
        .send()
        .await
        .expect("create stream");
}

/// Every record of a one-shard stream: (partition key, data as JSON).
async fn read_stream(kinesis: &Client, name: &str) -> Vec<(String, Value)> {
    let shard = kinesis
        .list_shards()
        .stream_name(name)
        .send()
        .await
        .expect("shards")
        .shards()[0]
        .shard_id()
        .to_owned();
    let mut iterator = kinesis
        .get_shard_iterator()
        .stream_name(name)
        .shard_id(shard)
        .shard_iterator_type(ShardIteratorType::TrimHorizon)
        .send()
        .await
        .expect("iterator")
        .shard_iterator()
        .map(str::to_owned);
    let mut out = Vec::new();
    let mut errors = 0;
    while let Some(it) = iterator.take() {
        let Ok(page) = kinesis.get_records().shard_iterator(&it).send().await else {
            // moto's Kinesis has transient errors.
            errors += 1;
            assert!(errors < 20, "GetRecords keeps failing");
            iterator = Some(it);
            continue;
        };
        if page.records().is_empty() {
            break;
        }
        for r in page.records() {
            let data = serde_json::from_slice(r.data().as_ref()).expect("JSON data");
            out.push((r.partition_key().unwrap_or_default().to_owned(), data));
        }
        iterator = page.next_shard_iterator().map(str::to_owned);
    }
    out
}

async fn wait_for_stream(kinesis: &Client, name: &str, count: usize) -> Vec<(String, Value)> {
    let mut wait = Wait::new();
    loop {
        let records = read_stream(kinesis, name).await;
        if records.len() >= count {
            return records;
        }
        assert!(
            wait.goes_on(records.len()),
            "{name} has {} of {count} records ({})",
            records.len(),
            wait.why()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// A Kinesis-sink configuration capturing `db` (its slot named like it) with
/// topic prefix `prefix`, plus `extra` lines.
fn kinesis_config(db: &Database, dir: &Path, prefix: &str, extra: &str) -> std::path::PathBuf {
    let extra = format!("debezium.source.topic.prefix={prefix}\n{extra}");
    let config = db.config(dir, &db.name, &extra);
    let text = std::fs::read_to_string(&config)
        .expect("config")
        .replace("debezium.sink.type=stdout", "debezium.sink.type=kinesis")
        .replace("spillway.stdout.format=record\n", "");
    std::fs::write(&config, text).expect("write config");
    config
}

/// What each test starts from: the emulator's Kinesis, a database of its
/// own (its tables made by `sql`), a directory, and a topic prefix unique to
/// the run.
struct Setup {
    kinesis: Client,
    db: Database,
    dir: tempfile::TempDir,
    prefix: String,
}

async fn setup(name: &str, sql: &str) -> Setup {
    let kinesis = kinesis().await;
    let db = Database::create(name);
    db.sql(sql);
    Setup {
        kinesis,
        db,
        dir: tempfile::tempdir().expect("dir"),
        prefix: format!("{}{}", name.replace('_', ""), std::process::id()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_go_to_a_stream_per_table_keyed_by_primary_key() {
    let Setup {
        kinesis,
        db,
        dir,
        prefix,
    } = setup(
        "capture_kinesis",
        "CREATE TABLE a (id int PRIMARY KEY, n int); CREATE TABLE b (id int PRIMARY KEY);
         INSERT INTO a VALUES (1, 0), (2, 0); INSERT INTO b VALUES (1);",
    )
    .await;
    let config = kinesis_config(&db, dir.path(), &prefix, "");

    // A missing stream stops capture with an error saying how to create it.
    let mut capture = Spillway::start("capture", &config, dir.path(), None);
    assert!(!capture.exit_status().success());
    let log = capture.log();
    assert!(
        log.contains(&format!("'{prefix}.public.a' does not exist"))
            && log.contains("spillway provision"),
        "{log}"
    );

    for table in ["a", "b"] {
        create_stream(&kinesis, &format!("{prefix}.public.{table}")).await;
    }
    let mut capture = Spillway::start("capture", &config, dir.path(), None);
    capture.wait_for("streaming", 1);
    db.sql("UPDATE a SET n = 1 WHERE id = 1; UPDATE a SET n = 2 WHERE id = 1; DELETE FROM b;");
    let a = wait_for_stream(&kinesis, &format!("{prefix}.public.a"), 4).await;
    let b = wait_for_stream(&kinesis, &format!("{prefix}.public.b"), 2).await;
    capture.terminate();

    let ops = |records: &[(String, Value)]| -> Vec<String> {
        records
            .iter()
            .map(|(key, v)| format!("{key} {}", v["payload"]["op"].as_str().unwrap_or("?")))
            .collect()
    };
    assert_eq!(
        ops(&a),
        [
            r#"{"id":1} r"#,
            r#"{"id":2} r"#,
            r#"{"id":1} u"#,
            r#"{"id":1} u"#
        ]
    );
    assert_eq!(
        a[3].1["payload"]["after"]["n"], 2,
        "a key's updates in order"
    );
    // The delete, and no tombstone: Kinesis has no compaction for it to drive.
    assert_eq!(ops(&b), [r#"{"id":1} r"#, r#"{"id":1} d"#]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_events_fail_or_go_to_the_dead_letter_stream() {
    let Setup {
        kinesis,
        db,
        dir,
        prefix,
    } = setup(
        "capture_oversize",
        "CREATE TABLE t (id int PRIMARY KEY, body text)",
    )
    .await;
    let stream = format!("{prefix}.public.t");
    let dead = format!("{prefix}-dead");
    create_stream(&kinesis, &stream).await;
    create_stream(&kinesis, &dead).await;

    let config = kinesis_config(&db, dir.path(), &prefix, "");
    let mut capture = Spillway::start("capture", &config, dir.path(), None);
    capture.wait_for("streaming", 1);
    // Random text does not compress: over 1 MiB as JSON.
    db.sql("INSERT INTO t SELECT 1, string_agg(md5(g::text), '') FROM generate_series(1, 40000) g");
    assert!(
        !capture.exit_status().success(),
        "the default policy stops capture"
    );
    assert!(
        capture.log().contains("spillway.kinesis.oversize"),
        "{}",
        capture.log()
    );

    let config = kinesis_config(
        &db,
        dir.path(),
        &prefix,
        &format!(
            "spillway.kinesis.oversize=dead-letter\nspillway.kinesis.dead.letter.stream={dead}"
        ),
    );
    let mut capture = Spillway::start("capture", &config, dir.path(), None);
    capture.wait_for("streaming", 1);
    db.sql("INSERT INTO t VALUES (2, 'small')");
    let described = wait_for_stream(&kinesis, &dead, 1).await;
    let stored = wait_for_stream(&kinesis, &stream, 1).await;
    capture.terminate();
    assert_eq!(described[0].1["topic"], stream.as_str());
    let key = described[0].1["key"].as_str().expect("the key, as text");
    assert!(key.ends_with(r#""payload":{"id":1}}"#), "{key}");
    assert_eq!(stored.len(), 1);
    assert_eq!(
        stored[0].1["payload"]["after"]["id"], 2,
        "capture went past the oversized event"
    );
}

/// Runs capture on a one-row table with the misbehaving fixture as its
/// mapper, in `mode`; capture must fail. Returns the Kinesis client and
/// capture's log.
async fn capture_failing_with_fixture_mapper(name: &str, mode: &str) -> (Client, String) {
    let Setup {
        kinesis,
        db,
        dir,
        prefix,
    } = setup(
        name,
        "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1)",
    )
    .await;
    let fixture = Path::new(spillway_plugin::builtin::BUILD_DIR)
        .join("spillway_fixture_misbehave.wasm")
        .display()
        .to_string();
    let config = kinesis_config(
        &db,
        dir.path(),
        &prefix,
        &format!(
            "spillway.mapper.plugin={fixture}\nspillway.mapper.config.mode={mode}\n\
             spillway.mapper.timeout.ms=1500\nspillway.mapper.memory.mb=32"
        ),
    );
    let mut capture = Spillway::start("capture", &config, dir.path(), None);
    assert!(!capture.exit_status().success(), "capture should fail");
    (kinesis, capture.log())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mapper_plugin_names_streams_and_bad_names_are_refused() {
    let (kinesis, log) = capture_failing_with_fixture_mapper("capture_mapper", "bad-output").await;
    assert!(log.contains("is not a Kinesis stream name"), "{log}");
    // The stream was never created by someone else's mistake.
    let streams = kinesis.list_streams().send().await.expect("list");
    assert!(streams.stream_names().iter().all(|s| !s.contains(' ')));
}

/// Every way a mapper can misbehave (a trap after writing to stderr, a hang
/// past its time limit, a memory hog, a flood of stderr) is a contained
/// plugin error: capture stops (the slot keeps the change) and says which
/// plugin failed and how, never a panic of capture.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_misbehaving_mapper_is_reported_not_a_panic() {
    for (mode, says) in [
        ("trap", "about to fail on purpose"),
        ("hang", "timed out"),
        ("hog", "ran out of memory"),
        ("flood", "the fixture flooded its standard error"),
    ] {
        let (_, log) =
            capture_failing_with_fixture_mapper(&format!("capture_mapper_{mode}"), mode).await;
        assert_contained(&log, "capture failed: mapper plugin", says, mode);
    }
}

/// Capture's `log` shows the misbehaving fixture's failure contained: no
/// panic of capture (the guest's own panic message is in its stderr), and
/// the failure (`failed`), the fixture's name and what it did (`says`).
fn assert_contained(log: &str, failed: &str, says: &str, mode: &str) {
    assert!(
        support::host_panics(log).is_empty(),
        "capture panicked ({mode}):\n{log}"
    );
    assert!(
        log.contains(failed) && log.contains("spillway_fixture_misbehave") && log.contains(says),
        "{failed:?}, the plugin's name and {says:?} ({mode}):\n{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_streams_are_created_when_configured() {
    let Setup {
        kinesis,
        db,
        dir,
        prefix,
    } = setup(
        "capture_auto_create",
        "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1), (2)",
    )
    .await;
    let config = kinesis_config(
        &db,
        dir.path(),
        &prefix,
        "spillway.kinesis.auto.create.streams=true",
    );
    let mut capture = Spillway::start("capture", &config, dir.path(), None);
    capture.wait_for("streaming", 1);
    let records = wait_for_stream(&kinesis, &format!("{prefix}.public.t"), 2).await;
    capture.terminate();
    let keys: Vec<&str> = records.iter().map(|(key, _)| key.as_str()).collect();
    assert_eq!(keys, [r#"{"id":1}"#, r#"{"id":2}"#]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_custom_mapper_renames_streams() {
    let Setup {
        kinesis,
        db,
        dir,
        prefix: unique,
    } = setup(
        "capture_rename",
        "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1)",
    )
    .await;
    let stream = format!("{unique}-public-t");
    create_stream(&kinesis, &stream).await;
    let mapper = Path::new(spillway_plugin::builtin::BUILD_DIR)
        .join("spillway_example_pattern_mapper.wasm")
        .display()
        .to_string();
    let config = kinesis_config(
        &db,
        dir.path(),
        &unique,
        &format!(
            "spillway.mapper.plugin={mapper}\n\
             spillway.mapper.config.pattern={unique}-{{schema}}-{{table}}"
        ),
    );
    let mut capture = Spillway::start("capture", &config, dir.path(), None);
    capture.wait_for("streaming", 1);
    let records = wait_for_stream(&kinesis, &stream, 1).await;
    capture.terminate();
    assert_eq!(records[0].1["payload"]["after"]["id"], 1);
    assert_eq!(records[0].1["payload"]["source"]["table"], "t");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_delivery_loses_nothing() {
    let Setup {
        kinesis,
        db,
        dir,
        prefix,
    } = setup(
        "capture_kinesis_kill",
        "CREATE TABLE t (id int PRIMARY KEY, note text)",
    )
    .await;
    let stream = format!("{prefix}.public.t");
    create_stream(&kinesis, &stream).await;
    let config = kinesis_config(&db, dir.path(), &prefix, "spillway.capture.batch.size=50");
    let mut capture = Spillway::start("capture", &config, dir.path(), None);
    capture.wait_for("streaming", 1);
    let writer = support::postgres::write_rows(&db.name, 1, 2000);
    wait_for_stream(&kinesis, &stream, 300).await;
    capture.kill_9();
    writer.join().expect("writer");
    let mut capture = Spillway::start("capture", &config, dir.path(), None);
    capture.wait_for("streaming", 1);
    let mut wait = Wait::new();
    loop {
        let records = read_stream(&kinesis, &stream).await;
        let mut ids: Vec<i64> = records
            .iter()
            .filter_map(|(_, v)| v["payload"]["after"]["id"].as_i64())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        if ids.len() == 2000 {
            break;
        }
        assert!(
            wait.goes_on(ids.len()),
            "{} of 2000 ids in Kinesis ({})",
            ids.len(),
            wait.why()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    capture.terminate();
}

/// For each key, the versions (`n`) in stream order must each be there, and
/// their last copies must be in the order they were written: a resent
/// record may repeat older ones, never leave an older one last.
fn check_order(records: &[(String, Value)], keys: i64, versions: i64) -> Result<(), String> {
    for key in 1..=keys {
        let seen: Vec<i64> = records
            .iter()
            .filter(|(_, v)| v["payload"]["after"]["id"] == key)
            .filter_map(|(_, v)| v["payload"]["after"]["n"].as_i64())
            .collect();
        let last = |n: i64| seen.iter().rposition(|v| *v == n);
        let positions: Vec<Option<usize>> = (0..=versions).map(last).collect();
        if positions.iter().any(Option::is_none) {
            return Err(format!("key {key}: versions {seen:?}, some missing"));
        }
        if !positions.windows(2).all(|w| w[0] < w[1]) {
            return Err(format!("key {key}: versions {seen:?} end out of order"));
        }
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_failures_and_throttling_lose_and_reorder_nothing() {
    let (proxy, faults) = support::fault_proxy::start(12).await;
    let Setup {
        kinesis,
        db,
        dir,
        prefix,
    } = setup(
        "capture_faults",
        "CREATE TABLE t (id int PRIMARY KEY, n int)",
    )
    .await;
    let stream = format!("{prefix}.public.t");
    create_stream(&kinesis, &stream).await;
    let config = kinesis_config(
        &db,
        dir.path(),
        &prefix,
        &format!(
            "debezium.sink.kinesis.endpoint=http://{proxy}\n\
             debezium.sink.kinesis.batch.size=8"
        ),
    );
    let mut capture = Spillway::start("capture", &config, dir.path(), None);
    capture.wait_for("streaming", 1);
    // Three keys and calls of eight records: a call holds several versions
    // of a key, and the proxy's failures (every other record) hit one version
    // of a key while a later one is stored.
    let mut sql = String::from("INSERT INTO t SELECT g, 0 FROM generate_series(1, 3) g;");
    for _ in 0..10 {
        sql.push_str("UPDATE t SET n = n + 1;");
    }
    db.sql(&sql);
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let records = read_stream(&kinesis, &stream).await;
        match check_order(&records, 3, 10) {
            Ok(()) => break,
            Err(e) => assert!(Instant::now() < deadline, "{e}"),
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    capture.terminate();
    assert!(
        faults.throttled.load(std::sync::atomic::Ordering::SeqCst) > 0,
        "calls were throttled"
    );
    assert!(
        faults
            .failed_records
            .load(std::sync::atomic::Ordering::SeqCst)
            > 0,
        "calls failed in part"
    );
}

/// An AWS outage longer than `spillway.capture.stalled.after.seconds`:
/// capture reports itself stalled (readiness 503) while PutRecords fails,
/// ready again once it goes through, and the change written meanwhile
/// arrives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_aws_outage_is_a_visible_stall_and_capture_recovers() {
    let (proxy, faults) = support::fault_proxy::start(0).await;
    let Setup {
        kinesis,
        db,
        dir,
        prefix,
    } = setup("capture_outage", "CREATE TABLE t (id int PRIMARY KEY)").await;
    let stream = format!("{prefix}.public.t");
    create_stream(&kinesis, &stream).await;
    let config = kinesis_config(
        &db,
        dir.path(),
        &prefix,
        &format!(
            "debezium.sink.kinesis.endpoint=http://{proxy}\n\
             spillway.http.address=127.0.0.1:0\n\
             spillway.capture.stalled.after.seconds=1"
        ),
    );
    let mut capture = Spillway::start("capture", &config, dir.path(), None);
    capture.wait_for("streaming", 1);
    let endpoint = capture.endpoint();
    assert_eq!(support::http_get(&endpoint, "/health/ready").0, 200);
    faults.begin_outage();
    db.sql("INSERT INTO t VALUES (1)");
    support::readiness(&endpoint, 503, "stalled", || capture.log()).await;
    faults.end_outage();
    support::readiness(&endpoint, 200, "", || capture.log()).await;
    let records = read_stream(&kinesis, &stream).await;
    let log = capture.terminate();
    assert!(
        faults.unavailable.load(std::sync::atomic::Ordering::SeqCst) > 0,
        "the outage was met"
    );
    assert!(
        log.contains("stalled: PutRecords to Kinesis stream"),
        "{log}"
    );
    assert!(log.contains("no longer stalled"), "{log}");
    assert_eq!(records.len(), 1, "the insert arrives once the outage ends");
}

/// Transforms between capture and Kinesis: ByLogicalTableRouter merges two
/// tables into one destination, which names the stream (through the
/// default mapper); ExtractNewRecordState then leaves the rows alone in it,
/// a delete becoming a record without a row. Keys carry the source table.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routed_and_unwrapped_events_reach_the_stream_their_destination_names() {
    let Setup {
        kinesis,
        db,
        dir,
        prefix,
    } = setup(
        "capture_transforms",
        "CREATE TABLE shard_1 (id int PRIMARY KEY, name text);
         CREATE TABLE shard_2 (id int PRIMARY KEY, name text);
         INSERT INTO shard_1 VALUES (1, 'a'); INSERT INTO shard_2 VALUES (1, 'b');",
    )
    .await;
    let stream = format!("{prefix}.public.shards");
    create_stream(&kinesis, &stream).await;
    let config = kinesis_config(
        &db,
        dir.path(),
        &prefix,
        "debezium.transforms=merge,unwrap\n\
         debezium.transforms.merge.type=io.debezium.transforms.ByLogicalTableRouter\n\
         debezium.transforms.merge.topic.regex=(.*)\\\\.shard_\\\\d+\n\
         debezium.transforms.merge.topic.replacement=$1.shards\n\
         debezium.transforms.unwrap.type=io.debezium.transforms.ExtractNewRecordState\n\
         debezium.transforms.unwrap.add.fields=op",
    );
    let mut capture = Spillway::start("capture", &config, dir.path(), None);
    capture.wait_for("streaming", 1);
    db.sql("INSERT INTO shard_2 VALUES (2, 'c'); DELETE FROM shard_1 WHERE id = 1;");
    let records = wait_for_stream(&kinesis, &stream, 4).await;
    let log = capture.terminate();
    let rows: Vec<(String, Value)> = records
        .iter()
        .map(|(key, value)| (key.clone(), value["payload"].clone()))
        .collect();
    let shard = |n: u32| format!("{prefix}.public.shard_{n}");
    let key = |id: u32, n: u32| {
        format!(
            r#"{{"id":{id},"__dbz__physicalTableIdentifier":"{}"}}"#,
            shard(n)
        )
    };
    assert_eq!(rows.len(), 4, "{rows:?}\n{log}");
    assert!(rows.contains(&(
        key(1, 1),
        serde_json::json!({"id": 1, "name": "a", "__op": "r"})
    )));
    assert!(rows.contains(&(
        key(1, 2),
        serde_json::json!({"id": 1, "name": "b", "__op": "r"})
    )));
    assert_eq!(
        rows[2],
        (
            key(2, 2),
            serde_json::json!({"id": 2, "name": "c", "__op": "c"})
        )
    );
    // The delete: its key, no row (Debezium's `tombstone` mode).
    assert_eq!(rows[3], (key(1, 1), Value::Null));
    assert_eq!(
        records[3].1["schema"]["name"],
        format!("{prefix}.public.shards.Value")
    );
    assert!(log.contains(&format!("stream={stream}")), "{log}");
}

/// A transform that traps or hangs on a batch stops capture with the
/// transform's name and what happened, never a panic, and loses nothing:
/// started again without it, capture delivers the rows it had read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_transform_stops_capture_and_loses_nothing() {
    let fixture = Path::new(spillway_plugin::builtin::BUILD_DIR)
        .join("spillway_fixture_misbehave.wasm")
        .display()
        .to_string();
    for (mode, says) in [("trap", "about to fail on purpose"), ("hang", "timed out")] {
        let Setup {
            kinesis,
            db,
            dir,
            prefix,
        } = setup(
            &format!("capture_transform_{mode}"),
            // The fixture misbehaves as the first record's table says.
            &format!("CREATE TABLE {mode} (id int PRIMARY KEY); INSERT INTO {mode} VALUES (1)"),
        )
        .await;
        let stream = format!("{prefix}.public.{mode}");
        create_stream(&kinesis, &stream).await;
        let transform = format!(
            "debezium.transforms=bad\nspillway.transforms.bad.plugin={fixture}\n\
             spillway.transforms.bad.timeout.ms=1500\n"
        );
        let config = kinesis_config(&db, dir.path(), &prefix, &transform);
        let mut capture = Spillway::start("capture", &config, dir.path(), None);
        assert!(
            !capture.exit_status().success(),
            "capture should fail ({mode})"
        );
        assert_contained(
            &capture.log(),
            "transform 'bad' failed on a batch",
            says,
            mode,
        );
        assert!(read_stream(&kinesis, &stream).await.is_empty(), "{mode}");

        let text = std::fs::read_to_string(&config).expect("config");
        std::fs::write(&config, text.replace(&transform, "")).expect("config");
        let mut capture = Spillway::start("capture", &config, dir.path(), None);
        capture.wait_for("streaming", 1);
        let records = wait_for_stream(&kinesis, &stream, 1).await;
        capture.terminate();
        assert_eq!(records[0].1["payload"]["after"]["id"], 1, "{mode}");
    }
}

/// The outbox pattern end to end: rows inserted into an outbox table reach,
/// through Debezium's EventRouter, the Kinesis stream of their aggregate
/// type, keyed by their aggregate id, the payload as the record.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outbox_events_reach_the_stream_of_their_aggregate_type() {
    let Setup {
        kinesis,
        db,
        dir,
        prefix,
    } = setup(
        "capture_outbox",
        "CREATE TABLE outbox (id uuid PRIMARY KEY, aggregatetype text NOT NULL, \
         aggregateid text NOT NULL, type text NOT NULL, payload jsonb);",
    )
    .await;
    for aggregate in ["order", "customer"] {
        create_stream(&kinesis, &format!("{prefix}.{aggregate}")).await;
    }
    let config = kinesis_config(
        &db,
        dir.path(),
        &prefix,
        &format!(
            "debezium.transforms=outbox\n\
             debezium.transforms.outbox.type=io.debezium.transforms.outbox.EventRouter\n\
             debezium.transforms.outbox.route.topic.replacement={prefix}.$${{routedByValue}}"
        ),
    );
    let mut capture = Spillway::start("capture", &config, dir.path(), None);
    capture.wait_for("streaming", 1);
    db.sql(
        "INSERT INTO outbox VALUES \
         ('6b0e2e6a-3f6e-4c1e-9a1d-1f0d1b6f6a01', 'order', 'o-1', 'OrderCreated', '{\"total\": 3}'), \
         ('6b0e2e6a-3f6e-4c1e-9a1d-1f0d1b6f6a02', 'customer', 'c-1', 'CustomerCreated', '{\"name\": \"Ada\"}'), \
         ('6b0e2e6a-3f6e-4c1e-9a1d-1f0d1b6f6a03', 'order', 'o-2', 'OrderCreated', '{\"total\": 4}');
         DELETE FROM outbox;",
    );
    let orders = wait_for_stream(&kinesis, &format!("{prefix}.order"), 2).await;
    let customers = wait_for_stream(&kinesis, &format!("{prefix}.customer"), 1).await;
    capture.terminate();
    let payloads = |records: &[(String, Value)]| -> Vec<(String, Value)> {
        records
            .iter()
            .map(|(key, value)| (key.clone(), value["payload"].clone()))
            .collect()
    };
    assert_eq!(
        payloads(&orders),
        [
            (r#""o-1""#.to_owned(), Value::from(r#"{"total": 3}"#)),
            (r#""o-2""#.to_owned(), Value::from(r#"{"total": 4}"#)),
        ]
    );
    assert_eq!(
        payloads(&customers),
        [(r#""c-1""#.to_owned(), Value::from(r#"{"name": "Ada"}"#))]
    );
}
