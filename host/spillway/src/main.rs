//! The `spillway` binary: parses the command line, sets up logging, runs a command.

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;
use spillway::capture::{
    self, CaptureSettings, KinesisSettings, KinesisSink, StdoutFormat, StdoutSink,
};
use spillway::cli::{Cli, Command, PluginCommand};
use spillway::config::Config;
use spillway::consume::{self, ConsumeSettings};
use spillway::forward::{self, ForwardSettings};
use spillway::plugins::{self, Kind};
use spillway::{aws, plugin_test};
use spillway_plugin::consumer::Consumer;
use spillway_plugin::mapper::Mapper;
use spillway_plugin::transformer::Transformer;
use spillway_plugin::{Code, Runtime};

/// mimalloc keeps freed memory for reuse: capture allocates and frees a
/// batch of events at a time, and glibc's allocator returned those pages to
/// the kernel after each batch, only to fault them in again (a third of
/// capture's time went to page faults).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,pg_walstream=warn")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .init();
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Consume { config } => {
            tokio::runtime::Runtime::new()?.block_on(consume_command(&config))
        }
        Command::Capture { config } => {
            // One thread: pg_walstream's connection runs on a thread of its
            // own, and PostgreSQL's walsender needs the other core.
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?
                .block_on(capture_command(&config))
        }
        Command::Provision { config } => tokio::runtime::Runtime::new()?.block_on(async {
            let config = Config::load(&config)?;
            let aws = aws::sdk_config(&config).await;
            spillway::provision::run(&config, &aws, &mut std::io::stdout().lock()).await?;
            anyhow::Ok(())
        }),
        Command::Forward { config } => {
            tokio::runtime::Runtime::new()?.block_on(forward_command(&config))
        }
        Command::Plugin(PluginCommand::Test {
            kind,
            plugin,
            input,
            config,
        }) => {
            let config = match config {
                Some(path) => Config::load(&path)?,
                None => Config::default(),
            };
            let mut spec = plugins::spec(&config, kind)?;
            spec.code = match plugin.as_str() {
                "default" => Code::Default,
                path => Code::File(path.into()),
            };
            let runtime = Runtime::new(&plugins::runtime_options(&config))?;
            plugin_test::run(&runtime, kind, spec, &input, &mut std::io::stdout().lock())
        }
    }
}

async fn consume_command(path: &Path) -> Result<()> {
    let config = Config::load(path)?;
    let settings = ConsumeSettings::from_config(&config)?;
    let runtime = Runtime::new(&plugins::runtime_options(&config))?;
    let plugin = Consumer::load(&runtime, plugins::spec(&config, Kind::Consumer)?)?;
    let sqs = aws_sdk_sqs::Client::new(&aws::sdk_config(&config).await);
    consume::run(settings, plugin, sqs, shutdown_signal()).await?;
    Ok(())
}

async fn capture_command(path: &Path) -> Result<()> {
    let config = Config::load(path)?;
    let settings = CaptureSettings::from_config(&config)?;
    match config.get("debezium.sink.type").unwrap_or("kinesis") {
        "stdout" => {
            let format = match config.get("spillway.stdout.format") {
                Some("record") => StdoutFormat::Record,
                _ => StdoutFormat::Value,
            };
            let mut sink = StdoutSink::new(
                std::io::BufWriter::with_capacity(1 << 20, std::io::stdout().lock()),
                format,
            );
            capture::run(settings, &mut sink, shutdown_signal()).await?;
        }
        _ => {
            let runtime = Runtime::new(&plugins::runtime_options(&config))?;
            let mapper = Mapper::load(&runtime, plugins::spec(&config, Kind::Mapper)?)?;
            let client = aws_sdk_kinesis::Client::new(&aws::kinesis_sdk_config(&config).await);
            let mut sink = KinesisSink::new(
                client,
                mapper.worker(),
                KinesisSettings::from_config(&config)?,
                &settings.prefix,
                &settings.database,
            );
            capture::run(settings, &mut sink, shutdown_signal()).await?;
        }
    }
    Ok(())
}

async fn forward_command(path: &Path) -> Result<()> {
    let config = Config::load(path)?;
    let settings = ForwardSettings::from_config(&config)?;
    let runtime = Runtime::new(&plugins::runtime_options(&config))?;
    let plugin = Transformer::load(&runtime, plugins::spec(&config, Kind::Transformer)?)?;
    let aws = aws::sdk_config(&config).await;
    forward::run(settings, plugin, &aws, shutdown_signal()).await?;
    Ok(())
}

/// Completes on SIGTERM or SIGINT (Ctrl-C).
async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::error!("cannot listen for SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate => {}
    }
}
