//! Spillway's plugin runtime: sandboxed WebAssembly components behind the
//! `spillway:plugin` WIT contract (`wit/plugin.wit`).
//!
//! Layout:
//! - [`runtime`]: the shared engine ([`Runtime`]), compile cache, epoch ticker,
//!   and [`PluginSpec`] (which component, its settings and [`Limits`]).
//! - [`mapper`], [`transform`], [`transformer`], [`consumer`]: one module per
//!   kind of plugin (`transform` is capture's, `transformer` forward's),
//!   each with a loaded plugin (cheap to clone) and a worker that calls it, and
//!   the checks the host makes on what the plugin returns.
//! - `contract`: the load-time check that a component implements the right world
//!   and version (the current one, or 0.1.0 for the kinds it had), with errors
//!   that say what is missing; `bindings` holds both versions' generated code.
//! - `worker`: one reused instance per worker; a trap, timeout or out-of-memory
//!   discards that instance only.
//! - `sandbox`: what an instance can reach (deny-by-default WASI, the host
//!   interface, a memory cap); `stderr`: the guest's stderr tail for errors.
//! - [`builtin`]: the default plugins, compiled from `plugins/` by build.rs.
//! - [`error`]: [`PluginError`], which says whether a retry can help.

pub mod builtin;
pub mod consumer;
pub mod error;
pub mod mapper;
pub mod runtime;
pub mod transform;
pub mod transformer;

mod bindings;
mod contract;
mod sandbox;
mod stderr;
mod worker;

/// The counter of failed plugin calls (labels `kind`, `plugin`, `error`),
/// recorded through the `metrics` facade.
pub const ERRORS_METRIC: &str = "spillway_plugin_errors_total";

pub use contract::{VERSION, VERSION_0_1};
pub use error::PluginError;
pub use runtime::{Code, Limits, PluginSpec, Runtime, RuntimeOptions};
