//! A plugin that traps, hangs, hogs memory or returns garbage is stopped within
//! its limits, reported with its name and stderr, and only its instance is lost:
//! the next call gets a fresh instance and other calls keep being served.

mod support;

use std::time::{Duration, Instant};

use spillway_plugin::PluginError;
use spillway_plugin::consumer::{Consumer, ConsumerWorker, Message, Outcome};
use spillway_plugin::mapper::Mapper;
use spillway_plugin::transform::{ChangeRecord, Operation, Transform};
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

/// A time limit is wall time: with every core busy (here, twice as many
/// spinning threads as cores), a hang with a 2 s limit stops within about a
/// tick of it, not after 2 s of ticks each delayed by the scheduler.
#[test]
fn a_time_limit_holds_while_the_machine_is_busy() {
    let mut spec = misbehave(&[]);
    spec.limits.timeout = Duration::from_secs(2);
    let plugin = Consumer::load(&runtime(), spec).expect("load");
    let mut worker = plugin.worker();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let spinners: Vec<_> = (0..2 * cores)
        .map(|_| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    std::hint::spin_loop();
                }
            })
        })
        .collect();
    let started = Instant::now();
    let error = worker
        .handle(&message("hang"))
        .expect_err("the hang must be stopped");
    let elapsed = started.elapsed();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    spinners
        .into_iter()
        .for_each(|s| s.join().expect("spinner"));
    assert!(matches!(error, PluginError::TimedOut { .. }), "{error}");
    assert!(
        elapsed >= Duration::from_secs(2),
        "stopped early: {elapsed:?}"
    );
    assert!(
        elapsed < Duration::from_millis(2_250),
        "stopped {:?} after its 2 s limit",
        elapsed - Duration::from_secs(2)
    );
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

/// A record whose partition key tells the fixture transformer what to do.
fn record(mode: &str) -> StreamRecord {
    StreamRecord {
        stream_name: "s".into(),
        shard_id: "shardId-000000000000".into(),
        partition_key: mode.into(),
        sequence_number: "1".into(),
        arrival_ms: 0,
        data: b"{}".to_vec(),
    }
}

/// A change record of table `table` (the misbehaving fixture's transform
/// takes its mode from the first record's table).
fn change(table: &str) -> ChangeRecord {
    ChangeRecord {
        destination: format!("p.s.{table}"),
        key: None,
        value: Some("{}".into()),
        headers: Vec::new(),
        operation: Operation::Create,
        schema: "s".into(),
        table: table.into(),
        lsn: Some(1),
    }
}

/// The whole class: every kind of plugin (mapper, transform, transformer,
/// consumer) with every misbehaviour (trap, hang, memory hog, output the
/// host refuses, 1 MiB of standard error before a trap) is contained as that kind of
/// failure, the flood reported by its last few KiB only, and the same worker
/// serves the next call.
#[test]
fn every_plugin_kind_contains_every_misbehaviour() {
    let runtime = runtime();
    let mut mapper = Mapper::load(&runtime, misbehave(&[]))
        .expect("load")
        .worker();
    let mut transformer = Transformer::load(&runtime, misbehave(&[]))
        .expect("load")
        .worker();
    let mut transform = Transform::load(&runtime, misbehave(&[]))
        .expect("load")
        .worker();
    let mut consumer = Consumer::load(&runtime, misbehave(&[]))
        .expect("load")
        .worker();
    for mode in ["trap", "hang", "hog", "bad-output", "flood"] {
        let results = [
            (
                "mapper",
                mapper
                    .stream_name(&support::table("inventory", mode))
                    .map(drop),
            ),
            (
                "transformer",
                transformer.transform(&[record(mode)]).map(drop),
            ),
            (
                "transform",
                transform.apply(&[change(mode), change("ok")]).map(drop),
            ),
            ("consumer", consumer.handle(&message(mode)).map(drop)),
        ];
        for (kind, result) in results {
            let contained = match (mode, &result) {
                ("flood", Err(e @ PluginError::Trapped { .. })) => {
                    let text = e.to_string();
                    text.contains("xxxxxxxx") && text.len() < 16 * 1024
                }
                ("trap", Err(PluginError::Trapped { .. })) => true,
                ("hang", Err(PluginError::TimedOut { .. })) => true,
                ("hog", Err(PluginError::OutOfMemory { .. })) => true,
                ("bad-output", Err(PluginError::InvalidOutput { .. })) => true,
                _ => false,
            };
            assert!(contained, "{kind} with {mode}: {result:?}");
        }
        assert!(
            mapper
                .stream_name(&support::table("inventory", "ok"))
                .is_ok(),
            "mapper after {mode}"
        );
        assert!(
            transformer.transform(&[record("ok")]).is_ok(),
            "transformer after {mode}"
        );
        assert!(
            matches!(consumer.handle(&message("ok")), Ok(Outcome::Ack)),
            "consumer after {mode}"
        );
    }
}
