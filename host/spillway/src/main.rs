//! The `spillway` binary: parses the command line, sets up logging, runs a command.

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;
use spillway::cli::{Cli, Command, PluginCommand};
use spillway::config::Config;
use spillway::plugins;
use spillway::stages::{self, Stage};
use spillway::{aws, check, plugin_test};
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
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Run { config } => {
            let config = Config::load(&config)?;
            let stages = Stage::from_config(&config)?;
            stages::run(config, &stages)?;
        }
        Command::Capture { config } => stages::run(Config::load(&config)?, &[Stage::Capture])?,
        Command::Forward { config } => stages::run(Config::load(&config)?, &[Stage::Forward])?,
        Command::Consume { config } => stages::run(Config::load(&config)?, &[Stage::Consume])?,
        Command::Provision { config } => tokio::runtime::Runtime::new()?.block_on(async {
            let config = Config::load(&config)?;
            let aws = aws::sdk_config(&config).await;
            spillway::provision::run(&config, &aws, &mut std::io::stdout().lock()).await?;
            anyhow::Ok(())
        })?,
        Command::Check { config } => {
            let report = tokio::runtime::Runtime::new()?.block_on(check::run(&config));
            print!("{report}");
            if !report.passed() {
                return Ok(ExitCode::FAILURE);
            }
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
            plugin_test::run(&runtime, kind, spec, &input, &mut std::io::stdout().lock())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
