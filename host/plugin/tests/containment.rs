//! A plugin that traps, hangs, hogs memory or returns garbage is stopped within
//! its limits, reported with its name and stderr, and only its instance is lost:
//! the next call gets a fresh instance and other calls keep being served.

mod support;

use std::time::{Duration, Instant};

use spillway_plugin::PluginError;
use spillway_plugin::consumer::{Consumer, ConsumerWorker, Message, Outcome};
use spillway_plugin::mapper::Mapper;
use spillway_plugin::transformer::{StreamRecord, Transformer};
use support::{misbehave, runtime};

fn message(body: &str) -> Message {
    Message {
        id: "m-1".into(),
        body: body.into(),
        group_id: None,
        receive_count: 1,
        attributes: Vec::new(),
    }
}

fn consumer_worker() -> ConsumerWorker {
    Consumer::load(&runtime(), misbehave(&[]))
        .expect("load")
        .worker()
}

#[test]
fn a_trap_is_reported_with_the_guest_stderr_and_the_next_call_works() {
    let mut worker = consumer_worker();
    let error = worker
        .handle(&message("trap"))
        .expect_err("the call must fail");
    let text = error.to_string();
    assert!(matches!(error, PluginError::Trapped { .. }), "{text}");
    assert!(text.contains("spillway_fixture_misbehave.wasm"), "{text}");
    assert!(text.contains("the fixture was told to trap"), "{text}");
    assert!(text.contains("fixture: about to fail on purpose"), "{text}");
    assert!(
        text.contains("spillway_fixture_misbehave::misbehave"),
        "{text}"
    );
    assert!(error.can_retry());
    // The trapped instance was discarded; this call runs on a fresh one.
    assert!(matches!(worker.handle(&message("ok")), Ok(Outcome::Ack)));
}

#[test]
fn a_hang_is_interrupted_at_its_time_limit_while_other_calls_go_on() {
    let runtime = runtime();
    let plugin = Consumer::load(&runtime, misbehave(&[])).expect("load");
    let mut hanging = plugin.worker();
    let started = Instant::now();
    let hang = std::thread::spawn(move || {
        let result = hanging.handle(&message("hang"));
        (result, hanging)
    });
    // While one worker is stuck, another worker of the same plugin serves calls.
    let mut other = plugin.worker();
    let mut served = 0;
    while !hang.is_finished() {
        assert!(matches!(other.handle(&message("ok")), Ok(Outcome::Ack)));
        served += 1;
    }
    let (result, mut hanging) = hang.join().expect("thread");
    let elapsed = started.elapsed();
    let error = result.expect_err("the hang must be stopped");
    assert!(matches!(error, PluginError::TimedOut { .. }), "{error}");
    assert!(error.to_string().contains("timed out"), "{error}");
    assert!(
        elapsed >= Duration::from_millis(300),
        "stopped early: {elapsed:?}"
    );
    assert!(
        elapsed < Duration::from_secs(3),
        "stopped late: {elapsed:?}"
    );
    assert!(served > 0, "no call was served during the hang");
    assert!(matches!(hanging.handle(&message("ok")), Ok(Outcome::Ack)));
}

#[test]
fn a_memory_hog_is_stopped_at_its_memory_limit() {
    let mut worker = consumer_worker();
    let error = worker
        .handle(&message("hog"))
        .expect_err("the hog must be stopped");
    match &error {
        PluginError::OutOfMemory {
            limit, requested, ..
        } => {
            assert_eq!(*limit, 32 << 20);
            assert!(requested > limit);
        }
        other => panic!("expected out of memory, got {other}"),
    }
    assert!(error.to_string().contains("ran out of memory"), "{error}");
    assert!(matches!(worker.handle(&message("ok")), Ok(Outcome::Ack)));
}

#[test]
fn output_the_host_cannot_use_is_refused() {
    let runtime = runtime();
    let mut mapper = Mapper::load(&runtime, misbehave(&[]))
        .expect("load")
        .worker();
    let table = support::table("inventory", "bad-output");
    let error = mapper.stream_name(&table).expect_err("refused");
    assert!(
        matches!(error, PluginError::InvalidOutput { .. }),
        "{error}"
    );
    assert!(
        error.to_string().contains("is not a Kinesis stream name"),
        "{error}"
    );

    let mut transformer = Transformer::load(&runtime, misbehave(&[]))
        .expect("load")
        .worker();
    let record = StreamRecord {
        stream_name: "s".into(),
        shard_id: "shardId-000000000000".into(),
        partition_key: "bad-output".into(),
        sequence_number: "1".into(),
        arrival_ms: 0,
        data: b"{}".to_vec(),
    };
    let error = transformer.transform(&[record]).expect_err("refused");
    assert!(error.to_string().contains("is empty"), "{error}");

    let mut consumer = consumer_worker();
    let error = consumer
        .handle(&message("bad-output"))
        .expect_err("refused");
    assert!(error.to_string().contains("beyond SQS' limit"), "{error}");
    // Refusing an answer does not cost the instance anything.
    assert!(matches!(consumer.handle(&message("ok")), Ok(Outcome::Ack)));
}
