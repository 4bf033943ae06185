//! Host-side bindings generated from the contract in `wit/`, and from the
//! 0.1.0 contract kept in `wit/0.1.0/` for plugins built against it.
//!
//! The worlds of one version share the `host` interface; it is generated
//! once (in `mapper`) and reused by the others, so one implementation serves
//! all.

#![allow(missing_docs, reason = "generated code; the documentation is in wit/")]

/// The `mapper-plugin` world.
pub mod mapper {
    wasmtime::component::bindgen!({
        path: "../../wit",
        world: "mapper-plugin",
        additional_derives: [PartialEq, Eq],
    });
}

/// The `transform-plugin` world.
pub mod transform {
    wasmtime::component::bindgen!({
        path: "../../wit",
        world: "transform-plugin",
        with: { "spillway:plugin/host": super::host },
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

/// The worlds of the 0.1.0 contract.
pub mod v0_1 {
    /// The `mapper-plugin` world of 0.1.0.
    pub mod mapper {
        wasmtime::component::bindgen!({
            path: "../../wit/0.1.0",
            world: "mapper-plugin",
        });
    }

    /// The `transformer-plugin` world of 0.1.0.
    pub mod transformer {
        wasmtime::component::bindgen!({
            path: "../../wit/0.1.0",
            world: "transformer-plugin",
            with: { "spillway:plugin/host": super::host },
        });
    }

    /// The `consumer-plugin` world of 0.1.0.
    pub mod consumer {
        wasmtime::component::bindgen!({
            path: "../../wit/0.1.0",
            world: "consumer-plugin",
            with: { "spillway:plugin/host": super::host },
        });
    }

    pub use mapper::spillway::plugin::host;
}
