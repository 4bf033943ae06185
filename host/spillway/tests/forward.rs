//! `spillway forward` against a real AWS emulator (moto, started by scripts/test,
//! found through AWS_ENDPOINT_URL), with the reference pipeline's topology:
//! streams, buses, the `forward-to-sqs` rule and the FIFO queue it targets.

use std::path::Path;
use std::time::{Duration, Instant};

use aws_sdk_eventbridge::types::{SqsParameters, Target};
use aws_sdk_sqs::types::QueueAttributeName;
use support::{Spillway, Wait};

mod support;

struct Aws {
    kinesis: aws_sdk_kinesis::Client,
    eventbridge: aws_sdk_eventbridge::Client,
    sqs: aws_sdk_sqs::Client,
}

async fn aws() -> Aws {
    support::require_aws_emulator();
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    Aws {
        kinesis: aws_sdk_kinesis::Client::new(&config),
        eventbridge: aws_sdk_eventbridge::Client::new(&config),
        sqs: aws_sdk_sqs::Client::new(&config),
    }
}

/// The reference topology under unique names: for each table a one-shard
/// stream and a bus whose rule forwards everything to one FIFO queue.
/// Returns (stream names, queue URL).
async fn topology(aws: &Aws, test: &str, tables: &[&str]) -> (Vec<String>, String) {
    let unique = format!("{test}-{}", std::process::id());
    let queue = aws
        .sqs
        .create_queue()
        .queue_name(format!("{unique}.fifo"))
        .attributes(QueueAttributeName::FifoQueue, "true")
        .attributes(QueueAttributeName::ContentBasedDeduplication, "true")
        .send()
        .await
        .expect("queue");
    let queue_url = queue.queue_url().expect("url").to_owned();
    let arn = aws
        .sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("attributes")
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
        .expect("arn");
    let mut streams = Vec::new();
    for table in tables {
        let stream = format!("{unique}.inventory.{table}");
        aws.kinesis
            .create_stream()
            .stream_name(&stream)
            .shard_count(1)
            .send()
            .await
            .expect("stream");
        route_bus_to(aws, &format!("{unique}-{table}"), &arn).await;
        streams.push(stream);
    }
    (streams, queue_url)
}

/// Creates bus `bus` with the reference's `forward-to-sqs` rule, sending
/// everything to the FIFO queue `queue_arn` in group `Group1`.
async fn route_bus_to(aws: &Aws, bus: &str, queue_arn: &str) {
    aws.eventbridge
        .create_event_bus()
        .name(bus)
        .send()
        .await
        .expect("bus");
    aws.eventbridge
        .put_rule()
        .name("forward-to-sqs")
        .event_bus_name(bus)
        .event_pattern(r#"{"source":[{"prefix":""}]}"#)
        .send()
        .await
        .expect("rule");
    aws.eventbridge
        .put_targets()
        .rule("forward-to-sqs")
        .event_bus_name(bus)
        .targets(
            Target::builder()
                .id("sqs")
                .arn(queue_arn)
                .sqs_parameters(SqsParameters::builder().message_group_id("Group1").build())
                .build()
                .expect("target"),
        )
        .send()
        .await
        .expect("targets");
}

/// Puts one record; returns its sequence number.
async fn put(aws: &Aws, stream: &str, key: &str, data: &str) -> String {
    aws.kinesis
        .put_record()
        .stream_name(stream)
        .partition_key(key)
        .data(aws_sdk_kinesis::primitives::Blob::new(data.as_bytes()))
        .send()
        .await
        .expect("put record")
        .sequence_number()
        .to_owned()
}

/// A record of a product's creation, in the shape of a Debezium event.
fn product(id: u64) -> String {
    format!(r#"{{"payload":{{"op":"c","after":{{"id":{id}}}}}}}"#)
}

/// Receives, deleting what arrives, until `count` messages arrived (or 60 s);
/// always at least once, so `count` 0 tells whether anything is there.
async fn receive(aws: &Aws, queue_url: &str, count: usize) -> Vec<serde_json::Value> {
    let mut bodies = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let out = aws
            .sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .expect("receive");
        for message in out.messages() {
            bodies
                .push(serde_json::from_str(message.body().unwrap_or_default()).expect("JSON body"));
            aws.sqs
                .delete_message()
                .queue_url(queue_url)
                .receipt_handle(message.receipt_handle().unwrap_or_default())
                .send()
                .await
                .expect("delete");
        }
        if bodies.len() >= count || Instant::now() >= deadline {
            return bodies;
        }
    }
}

/// `spillway forward` of `streams`, with its checkpoints and log in `dir`, the
/// reference's routing for each stream, and `settings` (which win over it).
fn forward(dir: &Path, streams: &[String], settings: &str) -> Spillway {
    let config = dir.join("forward.properties");
    let mut lines = vec![
        format!("spillway.forward.streams={}", streams.join(",")),
        format!(
            "spillway.forward.checkpoint.dir={}",
            dir.join("checkpoints").display()
        ),
        "spillway.forward.poll.interval.ms=200".to_owned(),
    ];
    for stream in streams {
        let table = stream.rsplit('.').next().expect("table");
        let Some((prefix, _)) = stream.split_once(".inventory.") else {
            continue;
        };
        let detail_type = if table == "products" {
            "ProductDataChangeEvent"
        } else {
            "CustomerDataChangeEvent"
        };
        lines.push(format!(
            "spillway.transformer.config.detail-type.{stream}={detail_type}"
        ));
        lines.push(format!(
            "spillway.transformer.config.bus.{stream}={prefix}-{table}"
        ));
    }
    // Last, so that they override the routing above.
    lines.push(settings.to_owned());
    std::fs::write(&config, lines.join("\n")).expect("config");
    Spillway::start("forward", &config, dir, None)
}

/// The distinct `after.id`s of the events in `bodies`, sorted.
fn distinct_ids(bodies: &[serde_json::Value]) -> Vec<u64> {
    let mut ids: Vec<u64> = bodies
        .iter()
        .map(|b| b["detail"]["payload"]["after"]["id"].as_u64().expect("id"))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

fn sample_events() -> Vec<(String, serde_json::Value)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plugins/samples/records.json");
    let records: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(path).expect("samples")).expect("JSON");
    records
        .into_iter()
        .map(|r| {
            let table = r["stream"]
                .as_str()
                .expect("stream")
                .rsplit('.')
                .next()
                .expect("table")
                .to_owned();
            (table, r["data"].clone())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn records_of_two_streams_reach_the_queue_through_their_buses_as_the_reference_did() {
    let aws = aws().await;
    let (streams, queue_url) = topology(&aws, "reference", &["products", "customers"]).await;
    let events = sample_events();
    for (table, event) in &events {
        let stream = streams
            .iter()
            .find(|s| s.ends_with(table.as_str()))
            .expect("stream");
        put(&aws, stream, "key", &event.to_string()).await;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let forward = forward(dir.path(), &streams, "");
    let bodies = receive(&aws, &queue_url, events.len()).await;
    let log = forward.terminate();
    assert_eq!(bodies.len(), events.len(), "{log}");
    for (table, event) in &events {
        let stream = streams
            .iter()
            .find(|s| s.ends_with(table.as_str()))
            .expect("stream");
        let detail_type = if table == "products" {
            "ProductDataChangeEvent"
        } else {
            "CustomerDataChangeEvent"
        };
        let body = bodies
            .iter()
            .find(|b| &b["detail"] == event)
            .unwrap_or_else(|| {
                panic!(
                    "the event {} did not arrive: {bodies:?}",
                    event["payload"]["op"]
                )
            });
        // The reference's envelope: source = stream, its detail type, the event as detail.
        assert_eq!(body["source"], stream.as_str());
        assert_eq!(body["detail-type"], detail_type);
        for field in ["version", "id", "time", "region", "resources"] {
            assert!(
                body.get(field).is_some(),
                "the envelope lacks {field}: {body}"
            );
        }
    }
    // Per stream, in order: the products' insert, update, delete arrive in that order.
    let ops: Vec<&str> = bodies
        .iter()
        .filter(|b| b["detail-type"] == "ProductDataChangeEvent")
        .map(|b| b["detail"]["payload"]["op"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(ops, ["c", "u", "d"]);
    assert!(
        dir.path().join("checkpoints").join(&streams[0]).exists(),
        "no checkpoint was written"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restart_after_kill_9_resumes_from_the_checkpoint_and_loses_nothing() {
    let aws = aws().await;
    let (streams, queue_url) = topology(&aws, "restart", &["products"]).await;
    let total = 40;
    put_products(&aws, &streams[0], 0..40).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let checkpoint = dir
        .path()
        .join("checkpoints")
        .join(&streams[0])
        .join("shardId-000000000000");
    let first = forward(dir.path(), &streams, "spillway.forward.batch.size=5");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !checkpoint.exists() {
        assert!(Instant::now() < deadline, "no checkpoint:\n{}", first.log());
        std::thread::sleep(Duration::from_millis(20));
    }
    first.kill_9();
    let left = std::fs::read_to_string(&checkpoint).expect("checkpoint");
    let second = forward(dir.path(), &streams, "spillway.forward.batch.size=5");
    let mut seen = std::collections::BTreeSet::new();
    let mut wait = Wait::new();
    while seen.len() < total && wait.goes_on(seen.len()) {
        for body in receive(&aws, &queue_url, 1).await {
            seen.insert(
                body["detail"]["payload"]["after"]["id"]
                    .as_u64()
                    .expect("id"),
            );
        }
    }
    let log = second.terminate();
    assert_eq!(
        seen.len(),
        total,
        "missing records after the restart:\n{log}"
    );
    // The second run resumed after the checkpoint the first one left.
    let resumed = format!("resuming after checkpoint {left}");
    assert!(log.contains(&resumed), "{log}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_empty_stream_is_waited_on_and_later_records_flow() {
    let aws = aws().await;
    let (streams, queue_url) = topology(&aws, "empty", &["customers"]).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let forward = forward(dir.path(), &streams, "");
    std::thread::sleep(Duration::from_secs(1));
    put(
        &aws,
        &streams[0],
        "k",
        r#"{"payload":{"op":"c","after":{"id":1001}}}"#,
    )
    .await;
    let bodies = receive(&aws, &queue_url, 1).await;
    let log = forward.terminate();
    assert_eq!(bodies.len(), 1, "{log}");
    assert_eq!(bodies[0]["detail-type"], "CustomerDataChangeEvent");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_stream_is_a_clear_error() {
    let _aws = aws().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut forward = forward(dir.path(), &["no-such-stream".to_owned()], "");
    let status = forward.exit_status();
    assert!(!status.success());
    let log = forward.log();
    assert!(
        log.contains("Kinesis stream 'no-such-stream' does not exist"),
        "{log}"
    );
    assert!(log.contains("spillway provision"), "{log}");
}

/// Creates a standard SQS queue for on-failure reports; returns its URL.
async fn failure_queue(aws: &Aws, name: &str) -> String {
    aws.sqs
        .create_queue()
        .queue_name(format!("{name}-failures-{}", std::process::id()))
        .send()
        .await
        .expect("failure queue")
        .queue_url()
        .expect("url")
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn records_no_retry_can_fix_are_isolated_reported_and_counted_while_the_rest_flows() {
    let aws = aws().await;
    let (streams, queue_url) = topology(&aws, "poison", &["products"]).await;
    let failures_url = failure_queue(&aws, "poison").await;
    // A record that is not JSON, and an event over EventBridge's 256 KB,
    // among valid ones; the settings are the defaults (retry forever, no
    // bisection), which used to stall the shard on the first of them.
    let large = format!(
        r#"{{"payload":{{"op":"c","after":{{"id":100,"blob":"{}"}}}}}}"#,
        "x".repeat(300 * 1024)
    );
    let mut poison = Vec::new();
    for i in 0..9_u32 {
        let data = match i {
            3 => "this record is not JSON".to_owned(),
            6 => large.clone(),
            _ => product(u64::from(i)),
        };
        let sequence = put(&aws, &streams[0], "k", &data).await;
        if i == 3 || i == 6 {
            poison.push(sequence);
        }
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let settings = format!(
        "spillway.forward.on.failure.queue={failures_url}\nspillway.http.address=127.0.0.1:0"
    );
    let mut forward = forward(dir.path(), &streams, &settings);
    let endpoint = forward.endpoint();
    let bodies = receive(&aws, &queue_url, 7).await;
    let reports = receive(&aws, &failures_url, 2).await;
    let (_, metrics) = support::http_get(&endpoint, "/metrics");
    let log = forward.terminate();

    assert_eq!(
        distinct_ids(&bodies),
        [0, 1, 2, 4, 5, 7, 8],
        "every other record flows:\n{log}"
    );
    assert_eq!(reports.len(), 2, "{log}");
    for (report, sequence) in reports.iter().zip(&poison) {
        let info = &report["KinesisBatchInfo"];
        assert_eq!(info["startSequenceNumber"], sequence.as_str(), "{report}");
        assert_eq!(info["endSequenceNumber"], sequence.as_str());
        assert_eq!(info["batchSize"], 1);
        assert_eq!(info["streamName"], streams[0].as_str());
        assert_eq!(report["requestContext"]["condition"], "PermanentError");
    }
    let errors: Vec<&str> = reports
        .iter()
        .map(|r| {
            r["requestContext"]["errorMessage"]
                .as_str()
                .unwrap_or_default()
        })
        .collect();
    assert!(errors[0].contains("not a JSON document"), "{errors:?}");
    assert!(errors[1].contains("over EventBridge's limit"), "{errors:?}");
    assert!(
        log.contains("no retry can fix that: splitting the batch"),
        "{log}"
    );
    assert_eq!(
        support::metric(
            &metrics,
            "spillway_forward_skipped_records_total{reason=\"permanent\"}"
        ),
        Some(2.0),
        "{metrics}"
    );
}

/// Every way a transformer can misbehave (a trap, a hang past its time
/// limit, a memory hog, a flood of stderr before a trap, an answer the host
/// refuses), each the first record of a stream of its own ahead of a valid
/// one: the misbehaving record alone goes to the on-failure queue with the
/// plugin's error (at once when no retry can fix it; a hang, which a less
/// busy machine may finish, once its retries are spent), the valid ones are
/// published, and forward never panics.
#[tokio::test(flavor = "multi_thread")]
async fn every_misbehaving_transformer_is_contained_and_the_rest_flows() {
    let aws = aws().await;
    let modes = [
        ("trap", "crashed"),
        ("hang", "timed out"),
        ("hog", "ran out of memory"),
        ("flood", "the fixture flooded its standard error"),
        ("bad-output", "returned an invalid result"),
    ];
    let names: Vec<&str> = modes.iter().map(|(mode, _)| *mode).collect();
    let (streams, _) = topology(&aws, "misbehaving", &names).await;
    // The fixture sends its events to the bus `fixture` (made by an earlier
    // run when this emulator is not new).
    let _ = aws
        .eventbridge
        .create_event_bus()
        .name("fixture")
        .send()
        .await;
    let failures_url = failure_queue(&aws, "misbehaving").await;
    for (stream, mode) in streams.iter().zip(&names) {
        put(&aws, stream, mode, &product(1)).await;
        put(&aws, stream, "ok", &product(2)).await;
    }
    let fixture = std::path::Path::new(spillway_plugin::builtin::BUILD_DIR)
        .join("spillway_fixture_misbehave.wasm");
    let settings = format!(
        "spillway.transformer.plugin={}\nspillway.transformer.timeout.ms=1500\n\
         spillway.transformer.memory.mb=32\nspillway.forward.on.failure.queue={failures_url}\n\
         spillway.forward.retry.attempts=2\nspillway.forward.bisect.on.error=true\n\
         spillway.http.address=127.0.0.1:0",
        fixture.display()
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let mut forward = forward(dir.path(), &streams, &settings);
    let endpoint = forward.endpoint();
    let reports = receive(&aws, &failures_url, modes.len()).await;
    let mut wait = Wait::new();
    let published = loop {
        let (_, metrics) = support::http_get(&endpoint, "/metrics");
        let published = support::metric(&metrics, "spillway_forwarded_events_total")
            .unwrap_or_default() as usize;
        if published >= modes.len() || !wait.goes_on(published) {
            break published;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let log = forward.terminate();
    assert!(
        published >= modes.len(),
        "{published} valid records published ({}):\n{log}",
        wait.why()
    );
    assert_eq!(reports.len(), modes.len(), "{reports:?}\n{log}");
    for ((mode, says), stream) in modes.iter().zip(&streams) {
        let report = reports
            .iter()
            .find(|r| r["KinesisBatchInfo"]["streamName"] == stream.as_str())
            .unwrap_or_else(|| panic!("no report of {mode}:\n{log}"));
        assert_eq!(report["KinesisBatchInfo"]["batchSize"], 1, "{report}");
        let error = report["requestContext"]["errorMessage"]
            .as_str()
            .unwrap_or_default();
        assert!(
            error.contains(says) && error.contains("spillway_fixture_misbehave"),
            "{mode}: {error}"
        );
    }
    assert!(
        support::host_panics(&log).is_empty(),
        "forward panicked:\n{log}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_eventbridge_outage_gives_up_on_no_record_even_with_bisection_and_few_attempts() {
    let aws = aws().await;
    let (streams, queue_url) = topology(&aws, "outage", &["products"]).await;
    put_products(&aws, &streams[0], 0..10).await;
    let (proxy, faults) = support::fault_proxy::start(0).await;
    // More failed calls than attempts, whenever forward starts publishing.
    faults.outage_of_calls(6);
    let dir = tempfile::tempdir().expect("tempdir");
    let settings = format!(
        "spillway.aws.endpoint=http://{proxy}\nspillway.forward.bisect.on.error=true\n\
         spillway.forward.retry.attempts=3"
    );
    let forward = forward(dir.path(), &streams, &settings);
    let ids = distinct_ids(&receive(&aws, &queue_url, 10).await);
    let log = forward.terminate();
    assert_eq!(ids, (0..10).collect::<Vec<_>>(), "{log}");
    assert!(
        faults.unavailable.load(std::sync::atomic::Ordering::SeqCst) > 0,
        "the outage was never met:\n{log}"
    );
    assert!(log.contains("retrying until EventBridge answers"), "{log}");
    assert!(!log.contains("gave up"), "{log}");
    assert!(
        !log.contains("splitting"),
        "an outage is no reason to split:\n{log}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn reads_stay_within_five_per_second_per_shard_whatever_the_batch_size() {
    let aws = aws().await;
    let (streams, queue_url) = topology(&aws, "pace", &["products"]).await;
    put_products(&aws, &streams[0], 0..200).await;
    let (proxy, faults) = support::fault_proxy::start(0).await;
    let dir = tempfile::tempdir().expect("tempdir");
    // Batches of 10, as the reference's mapping: 20 of them.
    let settings = format!("spillway.aws.endpoint=http://{proxy}\nspillway.forward.batch.size=10");
    let forward = forward(dir.path(), &streams, &settings);
    let ids = distinct_ids(&receive(&aws, &queue_url, 200).await);
    let log = forward.terminate();
    assert_eq!(ids, (0..200).collect::<Vec<_>>(), "{log}");
    let reads = faults
        .reads
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    // One read takes every record there is; the batches come from it.
    assert!(reads.len() < 20, "{} reads for 20 batches", reads.len());
    // No second holds more than Kinesis' 5 reads of a shard.
    for (i, start) in reads.iter().enumerate() {
        let within = reads[i..]
            .iter()
            .take_while(|t| t.duration_since(*start) < Duration::from_secs(1))
            .count();
        assert!(within <= 5, "{within} reads within a second of read {i}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_shard_that_keeps_failing_is_a_visible_stall_and_recovers() {
    let aws = aws().await;
    let (streams, queue_url) = topology(&aws, "stall", &["products"]).await;
    put_products(&aws, &streams[0], 0..3).await;
    let dir = tempfile::tempdir().expect("tempdir");
    // The bus the transformer names does not exist yet: EventBridge refuses
    // every entry, a failure that may clear up, so forward keeps retrying.
    let missing_bus = format!("stall-late-{}", std::process::id());
    let settings = format!(
        "spillway.http.address=127.0.0.1:0\nspillway.forward.stalled.after.seconds=1\n\
         spillway.transformer.config.bus.{}={missing_bus}",
        streams[0]
    );
    let mut forward = forward(dir.path(), &streams, &settings);
    let endpoint = forward.endpoint();
    support::readiness(&endpoint, 503, "stalled", || forward.log()).await;
    let (_, metrics) = support::http_get(&endpoint, "/metrics");
    let series = format!(
        "spillway_forward_pending_age_seconds{{stream=\"{}\",shard=\"shardId-000000000000\"}}",
        streams[0]
    );
    assert!(
        support::metric(&metrics, &series).is_some_and(|age| age > 0.0),
        "{series} in:\n{metrics}"
    );
    // Once the bus exists (with its rule), the records go through and the
    // stage is ready again.
    let arn = aws
        .sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("attributes")
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
        .expect("arn");
    route_bus_to(&aws, &missing_bus, &arn).await;
    assert_eq!(distinct_ids(&receive(&aws, &queue_url, 3).await), [0, 1, 2]);
    support::readiness(&endpoint, 200, "", || forward.log()).await;
    let log = forward.terminate();
    assert!(log.contains("failed (attempt 1)"), "{log}");
}

#[tokio::test(flavor = "multi_thread")]
async fn after_a_split_the_parent_is_finished_before_its_children_start() {
    let aws = aws().await;
    let (streams, queue_url) = topology(&aws, "reshard", &["products"]).await;
    let record = |i: u32| product(u64::from(i));
    for i in 0..3 {
        put(&aws, &streams[0], &format!("k{i}"), &record(i)).await;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let forward = forward(dir.path(), &streams, "");
    let mut bodies = receive(&aws, &queue_url, 3).await;

    let shards = aws
        .kinesis
        .list_shards()
        .stream_name(&streams[0])
        .send()
        .await
        .expect("shards");
    let parent = &shards.shards()[0];
    let range = parent.hash_key_range().expect("range");
    let (low, high): (u128, u128) = (
        range.starting_hash_key().parse().expect("hash"),
        range.ending_hash_key().parse().expect("hash"),
    );
    aws.kinesis
        .split_shard()
        .stream_name(&streams[0])
        .shard_to_split(parent.shard_id())
        .new_starting_hash_key(((low + high) / 2).to_string())
        .send()
        .await
        .expect("split");
    for i in 3..6 {
        put(&aws, &streams[0], &format!("k{i}"), &record(i)).await;
    }
    bodies.extend(receive(&aws, &queue_url, 3).await);
    let child_started = "no checkpoint: starting at TrimHorizon";
    let deadline = Instant::now() + Duration::from_secs(30);
    while forward.log().matches(child_started).count() < 3 {
        assert!(
            Instant::now() < deadline,
            "the children did not start:\n{}",
            forward.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let log = forward.terminate();

    let ids = distinct_ids(&bodies);
    assert_eq!(ids, [0, 1, 2, 3, 4, 5], "{log}");
    let closed = log
        .lines()
        .position(|l| {
            l.contains("closed and fully forwarded") && l.contains("shardId-000000000000")
        })
        .unwrap_or_else(|| panic!("the parent was never finished:\n{log}"));
    for child in ["shardId-000000000001", "shardId-000000000002"] {
        let started = log
            .lines()
            .position(|l| l.contains(child_started) && l.contains(child))
            .unwrap_or_else(|| panic!("{child} never started:\n{log}"));
        assert!(
            closed < started,
            "{child} started before its parent was finished:\n{log}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn starting_at_latest_skips_what_the_stream_already_holds() {
    let aws = aws().await;
    let (streams, queue_url) = topology(&aws, "latest", &["products"]).await;
    let record = |i: u32| product(u64::from(i));
    for i in 0..2 {
        put(&aws, &streams[0], "k", &record(i)).await;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let forward = forward(
        dir.path(),
        &streams,
        "spillway.forward.starting.position=LATEST",
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while !forward.log().contains("no checkpoint: starting at Latest") {
        assert!(Instant::now() < deadline, "{}", forward.log());
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));
    for i in 10..12 {
        put(&aws, &streams[0], "k", &record(i)).await;
    }
    let mut bodies = receive(&aws, &queue_url, 2).await;
    // Give anything older a chance to arrive too, which it must not.
    std::thread::sleep(Duration::from_secs(1));
    bodies.extend(receive(&aws, &queue_url, 0).await);
    let log = forward.terminate();
    let ids: Vec<u64> = bodies
        .iter()
        .map(|b| b["detail"]["payload"]["after"]["id"].as_u64().expect("id"))
        .collect();
    assert_eq!(ids, [10, 11], "{log}");
}

#[tokio::test(flavor = "multi_thread")]
async fn starting_at_a_timestamp_skips_what_came_before_it() {
    let aws = aws().await;
    let (streams, queue_url) = topology(&aws, "timestamp", &["products"]).await;
    let record = |i: u32| product(u64::from(i));
    for i in 0..2 {
        put(&aws, &streams[0], "k", &record(i)).await;
    }
    std::thread::sleep(Duration::from_millis(1100));
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis();
    std::thread::sleep(Duration::from_millis(1100));
    for i in 10..12 {
        put(&aws, &streams[0], "k", &record(i)).await;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let settings = format!(
        "spillway.forward.starting.position=AT_TIMESTAMP\nspillway.forward.starting.timestamp.ms={since}"
    );
    let forward = forward(dir.path(), &streams, &settings);
    let mut bodies = receive(&aws, &queue_url, 2).await;
    std::thread::sleep(Duration::from_secs(1));
    bodies.extend(receive(&aws, &queue_url, 0).await);
    let log = forward.terminate();
    assert_eq!(distinct_ids(&bodies), [10, 11], "{log}");
    assert_eq!(bodies.len(), 2, "{log}");
}

/// Deletes `stream` and creates it again, empty, under its name (as an
/// emulator restarted and provisioned again does, or an operator on AWS).
async fn recreate(aws: &Aws, stream: &str) {
    aws.kinesis
        .delete_stream()
        .stream_name(stream)
        .send()
        .await
        .expect("delete stream");
    aws.kinesis
        .create_stream()
        .stream_name(stream)
        .shard_count(1)
        .send()
        .await
        .expect("create stream");
}

/// Puts records `ids` as creations of products with those ids.
async fn put_products(aws: &Aws, stream: &str, ids: std::ops::Range<u64>) -> String {
    let mut last = String::new();
    for i in ids {
        last = put(aws, stream, "k", &product(i)).await;
    }
    last
}

/// Receives until the ids of `expected` arrived, or progress stops.
async fn receive_ids(aws: &Aws, queue_url: &str, expected: usize) -> Vec<u64> {
    let mut ids = Vec::new();
    let mut wait = Wait::new();
    while ids.len() < expected && wait.goes_on(ids.len()) {
        for body in receive(aws, queue_url, 1).await {
            ids.push(
                body["detail"]["payload"]["after"]["id"]
                    .as_u64()
                    .expect("id"),
            );
        }
    }
    ids.sort_unstable();
    ids
}

#[tokio::test(flavor = "multi_thread")]
async fn checkpoints_of_a_deleted_and_recreated_stream_never_skip_its_records() {
    let aws = aws().await;
    let (streams, queue_url) = topology(&aws, "recreated", &["products"]).await;
    let stream = &streams[0];
    let dir = tempfile::tempdir().expect("tempdir");
    let checkpoint = dir
        .path()
        .join("checkpoints")
        .join(stream)
        .join("shardId-000000000000");

    // A first run forwards 20 records and checkpoints the last.
    let last = put_products(&aws, stream, 0..20).await;
    let first = forward(dir.path(), &streams, "");
    assert_eq!(
        receive_ids(&aws, &queue_url, 20).await,
        (0..20).collect::<Vec<_>>()
    );
    let mut wait = Wait::new();
    while std::fs::read_to_string(&checkpoint).ok().as_deref() != Some(last.as_str()) {
        assert!(wait.goes_on(0), "no checkpoint at {last}:\n{}", first.log());
        std::thread::sleep(Duration::from_millis(50));
    }
    first.terminate();

    // The stream is deleted and created again while forward is stopped, and
    // gets 5 new records, with sequence numbers below the old checkpoint.
    recreate(&aws, stream).await;
    put_products(&aws, stream, 100..105).await;

    // Told to fail, forward refuses to start and says how to go on.
    let mut refused = forward(
        dir.path(),
        &streams,
        "spillway.forward.replaced.stream.handling.mode=fail",
    );
    assert!(!refused.exit_status().success(), "{}", refused.log());
    let log = refused.log();
    assert!(log.contains("was deleted and created again"), "{log}");
    assert!(log.contains("handling.mode=restart"), "{log}");
    assert_eq!(
        receive(&aws, &queue_url, 0).await,
        Vec::<serde_json::Value>::new()
    );

    // By default the old checkpoints are set aside with a warning, and every
    // record of the new stream is forwarded, even when a shard without a
    // checkpoint would start at LATEST.
    let second = forward(
        dir.path(),
        &streams,
        "spillway.forward.starting.position=LATEST",
    );
    let ids = receive_ids(&aws, &queue_url, 5).await;
    let log = second.terminate();
    assert_eq!(ids, (100..105).collect::<Vec<_>>(), "{log}");
    assert!(
        log.lines()
            .any(|l| l.contains("WARN") && l.contains("was deleted and created again")),
        "{log}"
    );
    let aside: Vec<_> = std::fs::read_dir(dir.path().join("checkpoints"))
        .expect("checkpoint dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(&format!("{stream}.replaced-")))
        .collect();
    assert_eq!(aside.len(), 1, "{aside:?}");
}
