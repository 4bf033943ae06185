//! The command line.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::plugins::Kind;

/// Spillway: PostgreSQL change data capture to Kinesis, EventBridge and SQS,
/// customised with WebAssembly plugins.
#[derive(Debug, Parser)]
#[command(name = "spillway", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Spillway's commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the stages `spillway.run.stages` names (capture, forward and
    /// consume by default) in one process, until SIGTERM or Ctrl-C.
    Run {
        /// The configuration file (Debezium Server properties format).
        #[arg(long)]
        config: PathBuf,
    },
    /// Capture PostgreSQL's changes as Debezium-compatible events to the sink
    /// (`debezium.sink.type`: kinesis or stdout), until SIGTERM or Ctrl-C.
    Capture {
        /// The configuration file (Debezium Server properties format).
        #[arg(long)]
        config: PathBuf,
    },
    /// Create the AWS resources the configuration names (streams, buses,
    /// rules, queues), idempotently.
    Provision {
        /// The configuration file (Debezium Server properties format).
        #[arg(long)]
        config: PathBuf,
    },
    /// Forward Kinesis records through the transformer plugin to EventBridge,
    /// until SIGTERM or Ctrl-C.
    Forward {
        /// The configuration file (Debezium Server properties format).
        #[arg(long)]
        config: PathBuf,
    },
    /// Consume the SQS queue with the consumer plugin, until SIGTERM or Ctrl-C.
    Consume {
        /// The configuration file (Debezium Server properties format).
        #[arg(long)]
        config: PathBuf,
    },
    /// Check the configuration, the plugins, PostgreSQL and the AWS
    /// resources; list every problem with its fix, exit non-zero if any.
    Check {
        /// The configuration file (Debezium Server properties format).
        #[arg(long)]
        config: PathBuf,
    },
    /// Work with plugins.
    #[command(subcommand)]
    Plugin(PluginCommand),
}

/// `spillway plugin ...`
#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Run one plugin on an input file and print what it returned.
    ///
    /// Input is JSON (one object or an array): a mapper takes tables
    /// {"server","database","schema","name"}; a transformer takes records
    /// {"stream","data",...} and prints PutEvents entries; a consumer takes
    /// messages {"body",...} and prints ack, retry-after or reject. The plugin's
    /// log goes to standard error.
    Test {
        /// The kind of plugin.
        kind: Kind,
        /// A component file (.wasm), or `default` for the built-in plugin.
        plugin: String,
        /// The input file.
        #[arg(long)]
        input: PathBuf,
        /// A configuration file to take the plugin's settings and limits from
        /// (`spillway.<kind>.config.*`, `spillway.<kind>.timeout.ms`, ...; for a
        /// transform, `debezium.transforms.<name>.*` and `spillway.transforms.<name>.*`).
        #[arg(long)]
        config: Option<PathBuf>,
        /// For a transform: which of the configuration's `debezium.transforms`
        /// (default: the first).
        #[arg(long)]
        transform: Option<String>,
    },
}
