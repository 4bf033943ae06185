//! The default plugins, compiled into the host so Spillway works with no plugin
//! files. Their sources are in `plugins/` and build.rs compiles them.

/// The default stream-name mapper: `<topic.prefix>.<schema>.<table>`.
pub static MAPPER: &[u8] = include_bytes!(concat!(
    env!("SPILLWAY_PLUGIN_DIR"),
    "/spillway_mapper.wasm"
));

/// Debezium's transforms, built in: ExtractNewRecordState, the routers and
/// the outbox EventRouter, one component choosing by its `type` setting.
pub static TRANSFORMS: &[u8] = include_bytes!(concat!(
    env!("SPILLWAY_PLUGIN_DIR"),
    "/spillway_transforms.wasm"
));

/// The default transformer: the reference pipeline's Lambda.
pub static TRANSFORMER: &[u8] = include_bytes!(concat!(
    env!("SPILLWAY_PLUGIN_DIR"),
    "/spillway_transformer.wasm"
));

/// The default consumer: the reference pipeline's queue consumer.
pub static CONSUMER: &[u8] = include_bytes!(concat!(
    env!("SPILLWAY_PLUGIN_DIR"),
    "/spillway_consumer.wasm"
));

/// Where this build put every guest it compiled, the test fixtures included
/// (`spillway_fixture_misbehave.wasm`, ...). For tests and examples.
pub const BUILD_DIR: &str = env!("SPILLWAY_PLUGIN_DIR");
