//! Compiled plugins are cached on disk, and the cache never serves a stale
//! artifact when the file behind a path changes.

mod support;

use spillway_plugin::consumer::{Consumer, Message, Outcome};
use spillway_plugin::mapper::Mapper;
use spillway_plugin::{Code, PluginSpec, Runtime, RuntimeOptions};

#[test]
fn the_cache_is_filled_and_keyed_by_content() {
    let dir = tempfile::tempdir().expect("tempdir");
    let options = RuntimeOptions {
        cache_dir: Some(dir.path().join("cache")),
    };
    let plugin_file = dir.path().join("plugin.wasm");
    std::fs::copy(support::guest("spillway_mapper.wasm"), &plugin_file).expect("copy");

    let runtime = Runtime::new(&options).expect("runtime");
    let table = support::table("inventory", "products");
    let spec = PluginSpec::new(Code::File(plugin_file.clone()));
    let mut mapper = Mapper::load(&runtime, spec.clone()).expect("load").worker();
    assert_eq!(
        mapper.stream_name(&table).expect("name"),
        "kinesis.inventory.products"
    );
    let cached = walk(&dir.path().join("cache"));
    assert!(cached > 0, "nothing was cached");

    // Same path, other component: the runtime must not reuse the mapper's artifact.
    std::fs::copy(support::guest("spillway_consumer.wasm"), &plugin_file).expect("copy");
    let runtime = Runtime::new(&options).expect("runtime");
    assert!(
        Mapper::load(&runtime, spec.clone()).is_err(),
        "a stale mapper was loaded"
    );
    let mut consumer = Consumer::load(&runtime, spec).expect("load").worker();
    let message = Message {
        id: "m".into(),
        body: "not json".into(),
        group_id: None,
        receive_count: 1,
        attributes: Vec::new(),
    };
    assert!(matches!(consumer.handle(&message), Ok(Outcome::Reject(_))));
    assert!(
        walk(&dir.path().join("cache")) > cached,
        "the new component was not cached"
    );
}

/// How many files are under `dir`.
fn walk(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| match e.file_type() {
                    Ok(t) if t.is_dir() => walk(&e.path()),
                    _ => 1,
                })
                .sum()
        })
        .unwrap_or(0)
}
