//! The `spillway` binary: parses the command line, sets up logging, runs a command.

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;
use spillway::cli::{Cli, Command, PluginCommand};
use spillway::config::Config;
use spillway::{plugin_test, plugins};
use spillway_plugin::{Code, Runtime};

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
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
