//! Per-call cost of each default plugin run by the host, against the same logic
//! compiled natively, in one run (`scripts/bench-plugins`).
//!
//! Native and WebAssembly rounds alternate so that machine noise hits both
//! alike; each figure is the median of the rounds. Also reported: the time to
//! compile each component (no cache) and to start an instance (first call),
//! and, with `EXAMPLE_PLUGINS_DIR` (scripts/build-examples), the same for the
//! Python and JavaScript examples next to the Rust plugins doing that job.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use spillway_plugin::consumer::{Consumer, Message};
use spillway_plugin::mapper::{Mapper, Table};
use spillway_plugin::transform::{ChangeRecord, Operation, Transform};
use spillway_plugin::transformer::{StreamRecord, Transformer};
use spillway_plugin::{Code, PluginSpec, Runtime, RuntimeOptions};

const ROUNDS: usize = 21;
const ROUND_TIME: Duration = Duration::from_millis(40);

fn main() {
    let runtime = Runtime::new(&RuntimeOptions::default()).expect("runtime");
    println!("| plugin | one call | native | WebAssembly | ratio |");
    println!("|---|---|---:|---:|---:|");
    mapper(&runtime);
    transforms(&runtime);
    transformer(&runtime);
    consumer(&runtime);
    println!();
    println!("| plugin | compile (no cache) | start an instance + first call |");
    println!("|---|---:|---:|");
    startup(&runtime);
    if let Ok(dir) = std::env::var("EXAMPLE_PLUGINS_DIR") {
        languages(&runtime, std::path::Path::new(&dir));
    }
}

/// Median time per call of `native` and `wasm`, measured in alternating rounds.
fn compare(mut native: impl FnMut(), mut wasm: impl FnMut()) -> (Duration, Duration) {
    let per_round = |f: &mut dyn FnMut()| {
        let started = Instant::now();
        let mut calls = 0u32;
        while started.elapsed() < ROUND_TIME {
            f();
            calls += 1;
        }
        started.elapsed() / calls
    };
    per_round(&mut native);
    per_round(&mut wasm);
    let (mut a, mut b): (Vec<Duration>, Vec<Duration>) = (0..ROUNDS)
        .map(|_| (per_round(&mut native), per_round(&mut wasm)))
        .unzip();
    a.sort();
    b.sort();
    (a[ROUNDS / 2], b[ROUNDS / 2])
}

fn report(plugin: &str, call: &str, (native, wasm): (Duration, Duration)) {
    println!(
        "| {plugin} | {call} | {:.2} µs | {:.2} µs | {:.2}x |",
        native.as_secs_f64() * 1e6,
        wasm.as_secs_f64() * 1e6,
        wasm.as_secs_f64() / native.as_secs_f64()
    );
}

fn table() -> Table {
    Table {
        server: "kinesis".into(),
        database: "inventory_db".into(),
        schema: "inventory".into(),
        name: "products".into(),
        destination: "kinesis.inventory.products".into(),
    }
}

fn mapper(runtime: &Runtime) {
    let mut worker = Mapper::load(runtime, PluginSpec::default_plugin())
        .expect("load")
        .worker();
    let table = table();
    let times = compare(
        || {
            black_box(spillway_mapper::stream_name(
                black_box(&table.server),
                &table.schema,
                &table.name,
            ));
        },
        || {
            black_box(worker.stream_name(black_box(&table)).expect("call"));
        },
    );
    report("mapper", "one table (once per table, then cached)", times);
}

/// Capture's batch for transforms: 100 change records, inserts of the
/// sample change records (plugins/samples/change-records.json).
fn change_batch() -> Vec<ChangeRecord> {
    let samples: Vec<serde_json::Value> =
        serde_json::from_str(include_str!("../../../plugins/samples/change-records.json"))
            .expect("samples");
    let insert = &samples[0];
    (0..100)
        .map(|i| ChangeRecord {
            destination: insert["destination"]
                .as_str()
                .expect("destination")
                .to_owned(),
            key: Some(insert["key"].to_string()),
            value: Some(insert["value"].to_string()),
            headers: Vec::new(),
            operation: Operation::Create,
            schema: "inventory".into(),
            table: "products".into(),
            lsn: Some(i),
        })
        .collect()
}

/// The built-in ExtractNewRecordState (with `add.fields=op,source.ts_ms`)
/// per event, on batches of 100, through the host and natively.
fn transforms(runtime: &Runtime) {
    let settings: BTreeMap<String, String> = [
        ("type", "io.debezium.transforms.ExtractNewRecordState"),
        ("add.fields", "op,source.ts_ms"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let native = spillway_transforms::Transform::configure(&settings).expect("configure");
    let mut spec = PluginSpec::default_plugin();
    spec.settings = settings;
    let mut worker = Transform::load(runtime, spec).expect("load").worker();
    let batch = change_batch();
    let records: Vec<spillway_transforms::Record> = batch
        .iter()
        .map(|r| spillway_transforms::Record {
            destination: r.destination.clone(),
            key: r.key.clone(),
            value: r.value.clone(),
            headers: Vec::new(),
            operation: spillway_transforms::Operation::Create,
            schema: r.schema.clone(),
            table: r.table.clone(),
            lsn: r.lsn,
        })
        .collect();
    let (native_time, wasm_time) = compare(
        || {
            for record in &records {
                black_box(native.apply(black_box(record.clone())).expect("apply"));
            }
        },
        || drop(black_box(worker.apply(black_box(&batch)).expect("apply"))),
    );
    let per_event = |d: Duration| d / u32::try_from(batch.len()).unwrap_or(1);
    report(
        "transforms (ExtractNewRecordState)",
        "one event, in batches of 100",
        (per_event(native_time), per_event(wasm_time)),
    );
}

/// The reference Lambda's batch: 10 records of the sample change events.
fn batch() -> Vec<StreamRecord> {
    let samples: Vec<serde_json::Value> =
        serde_json::from_str(include_str!("../../../plugins/samples/records.json"))
            .expect("samples");
    samples
        .iter()
        .cycle()
        .take(10)
        .enumerate()
        .map(|(i, r)| StreamRecord {
            stream_name: r["stream"].as_str().expect("stream").to_owned(),
            shard_id: "shardId-000000000000".into(),
            partition_key: r["partition-key"].as_str().expect("key").to_owned(),
            sequence_number: i.to_string(),
            arrival_ms: 1_700_000_000_000,
            data: r["data"].to_string().into_bytes(),
        })
        .collect()
}

fn routing() -> BTreeMap<String, String> {
    [
        (
            "detail-type.kinesis.inventory.products",
            "ProductDataChangeEvent",
        ),
        ("bus.kinesis.inventory.products", "products"),
        (
            "detail-type.kinesis.inventory.customers",
            "CustomerDataChangeEvent",
        ),
        ("bus.kinesis.inventory.customers", "customers"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

fn transformer(runtime: &Runtime) {
    let settings = routing();
    let mut spec = PluginSpec::default_plugin();
    spec.settings = settings.clone();
    let mut worker = Transformer::load(runtime, spec).expect("load").worker();
    let batch = batch();
    let bytes: usize = batch.iter().map(|r| r.data.len()).sum();
    let times = compare(
        || {
            let records = batch.iter().map(|r| spillway_transformer::Record {
                stream: &r.stream_name,
                data: &r.data,
            });
            black_box(
                spillway_transformer::transform(records, |k| settings.get(k).cloned())
                    .expect("native"),
            );
        },
        || {
            black_box(worker.transform(black_box(&batch)).expect("call"));
        },
    );
    let call = format!("a batch of 10 change events ({} KB in all)", bytes / 1000);
    report("transformer", &call, times);

    // The boundary alone: the same batch in and ten events out, no parsing
    // (the fixture's echo mode: each record's data checked as UTF-8 and moved
    // into an event), against the same check and copies made natively.
    let echo = PluginSpec::new(Code::File(
        std::path::Path::new(spillway_plugin::builtin::BUILD_DIR)
            .join("spillway_fixture_misbehave.wasm"),
    ));
    let mut echo = Transformer::load(runtime, echo).expect("load").worker();
    let times = compare(
        || {
            let events: Vec<(String, String)> = batch
                .iter()
                .map(|r| {
                    let text = String::from_utf8(r.data.clone()).expect("UTF-8");
                    (r.stream_name.clone(), text)
                })
                .collect();
            black_box(events);
        },
        || {
            black_box(echo.transform(black_box(&batch)).expect("call"));
        },
    );
    report(
        "(boundary)",
        "the same batch echoed: copied in, checked as UTF-8, copied out",
        times,
    );
}

fn consumer(runtime: &Runtime) {
    let mut worker = Consumer::load(runtime, PluginSpec::default_plugin())
        .expect("load")
        .worker();
    let samples: Vec<serde_json::Value> =
        serde_json::from_str(include_str!("../../../plugins/samples/messages.json"))
            .expect("samples");
    let body = samples[0]["body"].to_string();
    let message = Message {
        id: "a1b2c3d4-0001".into(),
        body: body.clone(),
        group_id: Some("Group1".into()),
        receive_count: 1,
        attributes: Vec::new(),
    };
    let times = compare(
        || {
            black_box(spillway_consumer::handle(&message.id, black_box(&body)));
        },
        || {
            black_box(worker.handle(black_box(&message)).expect("call"));
        },
    );
    let call = format!("one message ({} KB)", body.len() / 1000);
    report("consumer", &call, times);
}

fn startup(runtime: &Runtime) {
    let median = |mut f: Box<dyn FnMut() -> Duration>| {
        let mut times: Vec<Duration> = (0..7).map(|_| f()).collect();
        times.sort();
        times[3]
    };
    let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1e3);
    let table = table();
    let compile = median(Box::new(|| {
        time(|| drop(Mapper::load(runtime, PluginSpec::default_plugin())))
    }));
    let mapper = Mapper::load(runtime, PluginSpec::default_plugin()).expect("load");
    let first = median(Box::new(|| {
        time(|| drop(mapper.worker().stream_name(&table)))
    }));
    println!("| mapper | {} | {} |", ms(compile), ms(first));

    let compile = median(Box::new(|| {
        time(|| drop(Transformer::load(runtime, PluginSpec::default_plugin())))
    }));
    let mut spec = PluginSpec::default_plugin();
    spec.settings = routing();
    let transformer = Transformer::load(runtime, spec).expect("load");
    let batch = batch();
    let first = median(Box::new(|| {
        time(|| drop(transformer.worker().transform(&batch[..1])))
    }));
    println!("| transformer | {} | {} |", ms(compile), ms(first));

    let compile = median(Box::new(|| {
        time(|| drop(Consumer::load(runtime, PluginSpec::default_plugin())))
    }));
    println!("| consumer | {} | (as the transformer) |", ms(compile));
}

fn time(f: impl FnOnce()) -> Duration {
    let started = Instant::now();
    f();
    started.elapsed()
}

/// The example plugins of other languages against Rust plugins doing the
/// same job: per call, compile (no cache) and first call.
fn languages(runtime: &Runtime, dir: &std::path::Path) {
    let file = |name: &str| Code::File(dir.join(format!("{name}.wasm")));
    let rust_file = |name: &str| {
        Code::File(std::path::Path::new(spillway_plugin::builtin::BUILD_DIR).join(name))
    };
    let with = |code: Code, settings: &[(&str, &str)]| {
        let mut spec = PluginSpec::new(code);
        spec.settings = settings
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        spec
    };
    println!();
    println!("| plugin | language | one call | Rust | this language | ratio |");
    println!("|---|---|---|---:|---:|---:|");
    let table = table();
    let pattern = [("pattern", "cdc-{schema}-{table}")];
    let routes = [("routes", "inventory.products=cdc-{schema}-{table}")];
    let rust = with(rust_file("spillway_example_pattern_mapper.wasm"), &pattern);
    let python = with(file("python_router"), &routes);
    let mut rust_mapper = Mapper::load(runtime, rust.clone()).expect("load").worker();
    let mut python_mapper = Mapper::load(runtime, python.clone())
        .expect("load")
        .worker();
    let (a, b) = compare(
        || drop(black_box(rust_mapper.stream_name(black_box(&table)))),
        || drop(black_box(python_mapper.stream_name(black_box(&table)))),
    );
    language_row(
        "router mapper (python-router; Rust: pattern-mapper)",
        "Python",
        "one table",
        a,
        b,
    );
    let c = PluginSpec::new(file("c_safe_names"));
    let mut c_mapper = Mapper::load(runtime, c.clone()).expect("load").worker();
    let (a, b) = compare(
        || drop(black_box(rust_mapper.stream_name(black_box(&table)))),
        || drop(black_box(c_mapper.stream_name(black_box(&table)))),
    );
    language_row(
        "name mapper (c-safe-names; Rust: pattern-mapper)",
        "C",
        "one table",
        a,
        b,
    );

    let mut redacting = routing();
    redacting.insert("redact".to_owned(), "email".to_owned());
    let mut js = PluginSpec::new(file("js_redact"));
    js.settings = redacting;
    let mut rust = PluginSpec::default_plugin();
    rust.settings = routing();
    let mut rust_transformer = Transformer::load(runtime, rust).expect("load").worker();
    let mut js_transformer = Transformer::load(runtime, js.clone())
        .expect("load")
        .worker();
    let batch = batch();
    let (a, b) = compare(
        || drop(black_box(rust_transformer.transform(black_box(&batch)))),
        || drop(black_box(js_transformer.transform(black_box(&batch)))),
    );
    language_row(
        "transformer (js-redact; Rust: the default, which does not redact)",
        "JavaScript",
        "a batch of 10 change events",
        a,
        b,
    );

    let keep = [
        ("operations", "c,u"),
        ("column", "name"),
        ("equals", "scooter"),
    ];
    let mut rust_filter = Transform::load(
        runtime,
        with(rust_file("spillway_example_rust_filter.wasm"), &keep),
    )
    .expect("load")
    .worker();
    let changes = change_batch();
    let per_event = |d: Duration| d / u32::try_from(changes.len()).unwrap_or(1);
    for (name, language) in [("python_filter", "Python"), ("js_filter", "JavaScript")] {
        let mut filter = Transform::load(runtime, with(file(name), &keep))
            .expect("load")
            .worker();
        let (a, b) = compare(
            || drop(black_box(rust_filter.apply(black_box(&changes)))),
            || drop(black_box(filter.apply(black_box(&changes)))),
        );
        language_row(
            &format!("filter ({}; Rust: rust-filter)", name.replace('_', "-")),
            language,
            "one event, in batches of 100",
            per_event(a),
            per_event(b),
        );
    }

    println!();
    println!("| plugin | size | compile (no cache) | start an instance + first call |");
    println!("|---|---:|---:|---:|");
    let median3 = |f: &mut dyn FnMut() -> Duration| {
        let mut times: Vec<Duration> = (0..3).map(|_| f()).collect();
        times.sort();
        times[1]
    };
    let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1e3);
    let size = |name: &str| {
        let bytes = std::fs::metadata(dir.join(format!("{name}.wasm"))).map_or(0, |m| m.len());
        if bytes < 1_000_000 {
            format!("{} KB", bytes / 1000)
        } else {
            format!("{:.1} MB", bytes as f64 / 1e6)
        }
    };
    let compile = median3(&mut || time(|| drop(Mapper::load(runtime, python.clone()))));
    let loaded = Mapper::load(runtime, python.clone()).expect("load");
    let first = median3(&mut || time(|| drop(loaded.worker().stream_name(&table))));
    println!(
        "| python-router (Python) | {} | {} | {} |",
        size("python_router"),
        ms(compile),
        ms(first)
    );
    let compile = median3(&mut || time(|| drop(Mapper::load(runtime, c.clone()))));
    let loaded = Mapper::load(runtime, c.clone()).expect("load");
    let first = median3(&mut || time(|| drop(loaded.worker().stream_name(&table))));
    println!(
        "| c-safe-names (C) | {} | {} | {} |",
        size("c_safe_names"),
        ms(compile),
        ms(first)
    );
    let compile = median3(&mut || time(|| drop(Transformer::load(runtime, js.clone()))));
    let loaded = Transformer::load(runtime, js.clone()).expect("load");
    let first = median3(&mut || time(|| drop(loaded.worker().transform(&batch[..1]))));
    println!(
        "| js-redact (JavaScript) | {} | {} | {} |",
        size("js_redact"),
        ms(compile),
        ms(first)
    );
}

fn language_row(plugin: &str, language: &str, call: &str, rust: Duration, other: Duration) {
    println!(
        "| {plugin} | {language} | {call} | {:.2} µs | {:.2} µs | {:.1}x |",
        rust.as_secs_f64() * 1e6,
        other.as_secs_f64() * 1e6,
        other.as_secs_f64() / rust.as_secs_f64()
    );
}
