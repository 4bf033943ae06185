//! Host-side bindings generated from the one contract in `wit/`.
//!
//! The three worlds share the `host` interface; it is generated once (in
//! [`mapper`]) and reused by the others, so one implementation serves all.

#![allow(missing_docs, reason = "generated code; the documentation is in wit/")]

/// The `mapper-plugin` world.
pub mod mapper {
    wasmtime::component::bindgen!({
        path: "../../wit",
        world: "mapper-plugin",
        additional_derives: [PartialEq, Eq],
    });
}

/// The `transformer-plugin` world.
pub mod transformer {
    wasmtime::component::bindgen!({
        path: "../../wit",
        world: "transformer-plugin",
        with: { "spillway:plugin/host": super::host },
        additional_derives: [PartialEq, Eq],
    });
}

/// The `consumer-plugin` world.
pub mod consumer {
    wasmtime::component::bindgen!({
        path: "../../wit",
        world: "consumer-plugin",
        with: { "spillway:plugin/host": super::host },
        additional_derives: [PartialEq, Eq],
    });
}

pub use mapper::spillway::plugin::host;
