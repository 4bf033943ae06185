//! Capture's transform stage: Debezium's single message transforms (SMTs)
//! between capture and the sink, each a WebAssembly plugin (the built-in
//! ones, `plugins/transforms/`, or a user's own).
//!
//! - [`settings`]: the chain a configuration describes (`debezium.transforms`,
//!   `debezium.transforms.<name>.*`, `spillway.transforms.<name>.plugin`).
//! - [`predicate`]: Kafka's predicates, which choose what a transform sees.
//! - [`stage`]: the sink wrapper that runs the chain on every batch.

pub mod predicate;
pub mod settings;
pub mod stage;

pub use settings::{Step, steps};
pub use stage::TransformingSink;
