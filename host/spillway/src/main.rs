//! The `spillway` binary: parses the command line, sets up logging, runs a command.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;
use spillway::cli::{Cli, Command, PluginCommand};
use spillway::config::Config;
use spillway::plugins;
use spillway::stages::{self, Stage};
use spillway::telemetry::logging;
use spillway::{aws, check, plugin_test};
use spillway_plugin::{Code, Runtime};

/// mimalloc keeps freed memory for reuse: capture allocates and frees a
/// batch of events at a time, and glibc's allocator returned those pages to
/// the kernel after each batch, only to fault them in again (a third of
/// capture's time went to page faults).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Loads the configuration at `path` and sets the log up from it (or, when
/// it cannot be loaded, with the defaults, to report why).
fn load(path: &Path) -> Result<Config> {
    let config = Config::load(path);
    logging::init(config.as_ref().ok());
    Ok(config?)
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Run { config } => {
            let config = load(&config)?;
            let stages = Stage::from_config(&config)?;
            stages::run(config, &stages)?;
        }
        Command::Capture { config } => stages::run(load(&config)?, &[Stage::Capture])?,
        Command::Forward { config } => stages::run(load(&config)?, &[Stage::Forward])?,
        Command::Consume { config } => stages::run(load(&config)?, &[Stage::Consume])?,
        Command::Provision { config } => tokio::runtime::Runtime::new()?.block_on(async {
            let config = load(&config)?;
            let aws = aws::sdk_config(&config).await;
            spillway::provision::run(&config, &aws, &mut std::io::stdout().lock()).await?;
            anyhow::Ok(())
        })?,
        Command::Check { config } => {
            logging::init(None);
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
            transform,
        }) => {
            let config = match config {
                Some(path) => load(&path)?,
                None => {
                    logging::init(None);
                    Config::default()
                }
            };
            let mut spec = plugins::spec_of(&config, kind, transform.as_deref())?;
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
