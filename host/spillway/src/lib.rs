//! The `spillway` command: configuration, plugin wiring and commands.
//!
//! Layout:
//! - [`cli`]: the command line (clap); [`stages`]: the stages a process runs,
//!   built from the configuration (`spillway run`, `capture`, `forward`, `consume`).
//! - [`config`]: Debezium Server-style properties with environment overrides
//!   and `${...}` expressions, checked against the table of keys Spillway
//!   reads and the families of Debezium keys it accepts or refuses.
//! - [`plugins`]: the plugins a configuration names, with settings and limits.
//! - [`plugin_test`]: `spillway plugin test`.
//! - [`capture`]: `spillway capture`, PostgreSQL to Debezium-compatible events.
//! - [`consume`]: `spillway consume`, SQS to the consumer plugin.
//! - [`forward`]: `spillway forward`, Kinesis to the transformer plugin to EventBridge.
//! - [`check`]: `spillway check`, every problem of a setup with its fix.
//! - [`provision`]: `spillway provision`, the AWS resources a configuration names.
//! - [`aws`]: the AWS clients' shared configuration and queue lookup.
//! - [`backoff`]: waiting between retries, shared by the stages.
//! - [`durable`]: small files replaced atomically (checkpoints, capture state).
//! - [`telemetry`]: the health and Prometheus metrics endpoint, and the log.
//!
//! The plugin runtime itself is the `spillway-plugin` crate.

pub mod aws;
pub mod backoff;
pub mod capture;
pub mod check;
pub mod cli;
pub mod config;
pub mod consume;
pub mod durable;
pub mod forward;
pub mod plugin_test;
pub mod plugins;
pub mod provision;
pub mod stages;
pub mod telemetry;
