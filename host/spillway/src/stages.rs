//! The stages as a process runs them: each built from the configuration
//! (settings, plugins, AWS clients) and run until shutdown. `spillway run`
//! runs several in one process; `capture`, `forward` and `consume` one each.
//!
//! Capture runs on a single-threaded runtime of its own (pg_walstream's
//! connection has a thread of its own, and PostgreSQL's walsender needs the
//! other core); forward, consume and the health endpoint share a
//! multi-threaded one. A stage that fails stops the others, and the process
//! exits with its error.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use anyhow::{Context, Result};
use spillway_plugin::Runtime;
use spillway_plugin::consumer::Consumer;
use spillway_plugin::mapper::Mapper;
use spillway_plugin::transformer::Transformer;
use tokio::sync::watch;

use crate::capture::transform::TransformingSink;
use crate::capture::{self, CaptureSettings, KinesisSettings, KinesisSink, StdoutFormat};
use crate::config::{Config, ConfigError};
use crate::consume::{self, ConsumeSettings};
use crate::forward::{self, ForwardSettings};
use crate::plugins::{self, Kind};
use crate::{aws, telemetry};

/// A stage of the pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// PostgreSQL to the sink.
    Capture,
    /// Kinesis through the transformer to EventBridge.
    Forward,
    /// SQS to the consumer plugin.
    Consume,
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stage::Capture => "capture",
            Stage::Forward => "forward",
            Stage::Consume => "consume",
        })
    }
}

impl Stage {
    /// The stages `spillway run` runs: `spillway.run.stages`, else those the
    /// configuration sets up (capture for `debezium.source.*` keys, forward
    /// for `spillway.forward.*` or `spillway.transformer.*`, consume for
    /// `spillway.consumer.*`), so a Debezium Server file is a capture.
    pub fn from_config(config: &Config) -> Result<Vec<Stage>, ConfigError> {
        let key = "spillway.run.stages";
        let names = match config.list(key) {
            names if !names.is_empty() => names,
            _ => [
                ("capture", &["debezium.source."][..]),
                (
                    "forward",
                    &["spillway.forward.", "spillway.transformer."][..],
                ),
                ("consume", &["spillway.consumer."][..]),
            ]
            .into_iter()
            .filter(|(_, prefixes)| prefixes.iter().any(|p| !config.under(p).is_empty()))
            .map(|(stage, _)| stage.to_owned())
            .collect(),
        };
        let mut stages = Vec::new();
        for name in names {
            let stage = match name.to_ascii_lowercase().as_str() {
                "capture" => Stage::Capture,
                "forward" => Stage::Forward,
                "consume" => Stage::Consume,
                _ => {
                    return Err(ConfigError::Invalid {
                        key: key.to_owned(),
                        value: name,
                        reason: "expected capture, forward or consume".to_owned(),
                    });
                }
            };
            if !stages.contains(&stage) {
                stages.push(stage);
            }
        }
        if stages.is_empty() {
            return Err(ConfigError::Missing {
                key: key.to_owned(),
                hint: "the stages to run, such as capture,forward,consume (no debezium.source.*, \
                       spillway.forward.* or spillway.consumer.* key says which)"
                    .to_owned(),
            });
        }
        Ok(stages)
    }
}

/// Checks the settings of every stage in `stages` (and of its plugin) before
/// any starts, so a mistake in one stage's settings never leaves another's
/// work half done (a slot created, a snapshot begun); every problem is listed.
pub fn validate(config: &Config, stages: &[Stage]) -> Result<()> {
    let mut problems = Vec::new();
    let mut check = |result: Result<(), ConfigError>| {
        if let Err(e) = result {
            problems.push(e.to_string());
        }
    };
    for stage in stages {
        match stage {
            Stage::Capture => {
                check(CaptureSettings::from_config(config).map(drop));
                if !stdout_sink(config) {
                    check(KinesisSettings::from_config(config).map(drop));
                    check(plugins::spec(config, Kind::Mapper).map(drop));
                }
            }
            Stage::Forward => {
                check(ForwardSettings::from_config(config).map(drop));
                check(plugins::spec(config, Kind::Transformer).map(drop));
            }
            Stage::Consume => {
                check(ConsumeSettings::from_config(config).map(drop));
                check(plugins::spec(config, Kind::Consumer).map(drop));
            }
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    anyhow::bail!(
        "nothing was started: the settings of the stages to run have {} problem(s):\n  - {}",
        problems.len(),
        problems.join("\n  - ")
    )
}

/// Runs `stages` until SIGTERM or Ctrl-C, or until one fails; serves the
/// health and metrics endpoint when `spillway.http.address` is set. Every
/// stage's settings are checked first ([`validate`]).
pub fn run(config: Config, stages: &[Stage]) -> Result<()> {
    validate(&config, stages)?;
    let config = Arc::new(config);
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let (stop, stopped) = watch::channel(false);
        if let Some(address) = telemetry::server::address(&config) {
            let metrics = telemetry::metrics::install()?;
            telemetry::server::start(&address, metrics, until(stopped.clone())).await?;
        }
        let mut tasks = tokio::task::JoinSet::new();
        for &stage in stages {
            let config = config.clone();
            let shutdown = until(stopped.clone());
            tasks.spawn(async move {
                let result = match stage {
                    Stage::Capture => on_own_thread(config, shutdown).await,
                    Stage::Forward => forward_stage(&config, shutdown).await,
                    Stage::Consume => consume_stage(&config, shutdown).await,
                };
                (stage, result)
            });
        }
        let mut failure = None;
        let signal = shutdown_signal();
        tokio::pin!(signal);
        loop {
            let done = tokio::select! {
                () = &mut signal, if !*stop.borrow() => {
                    tracing::info!("stopping");
                    let _ = stop.send(true);
                    continue;
                }
                done = tasks.join_next() => done,
            };
            let Some(done) = done else { break };
            match done {
                Ok((stage, Ok(()))) => tracing::info!("{stage} stopped"),
                Ok((stage, Err(e))) => {
                    if stages.len() > 1 {
                        tracing::error!("{stage} failed, stopping the other stages: {e:#}");
                    }
                    failure.get_or_insert(e.context(format!("{stage} failed")));
                    let _ = stop.send(true);
                }
                Err(e) => {
                    failure.get_or_insert(anyhow::anyhow!("a stage panicked: {e}"));
                    let _ = stop.send(true);
                }
            }
        }
        failure.map_or(Ok(()), Err)
    })
}

/// Completes once `stopped` turns true.
async fn until(mut stopped: watch::Receiver<bool>) {
    let _ = stopped.wait_for(|stop| *stop).await;
}

/// Capture on a thread and single-threaded runtime of its own.
async fn on_own_thread(
    config: Arc<Config>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    tokio::task::spawn_blocking(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
            .block_on(capture_stage(&config, shutdown))
    })
    .await
    .context("capture panicked")?
}

/// Whether capture writes to standard output (`debezium.sink.type=stdout`)
/// rather than Kinesis, the only other sink the configuration accepts.
pub fn stdout_sink(config: &Config) -> bool {
    config.get("debezium.sink.type") == Some("stdout")
}

/// Capture to the configured sink, through the configured transforms, until
/// `shutdown` completes.
pub async fn capture_stage(config: &Config, shutdown: impl Future<Output = ()>) -> Result<()> {
    let mut settings = CaptureSettings::from_config(config)?;
    let steps = std::mem::take(&mut settings.transforms);
    let runtime = Runtime::new(&plugins::runtime_options(config))?;
    if stdout_sink(config) {
        let format = match config.get("spillway.stdout.format") {
            Some("record") => StdoutFormat::Record,
            _ => StdoutFormat::Value,
        };
        let sink = capture::StdoutSink::new(
            std::io::BufWriter::with_capacity(1 << 20, std::io::stdout().lock()),
            format,
        );
        let mut sink = TransformingSink::new(sink, &runtime, steps)?;
        capture::run(settings, &mut sink, shutdown).await?;
    } else {
        let mapper = Mapper::load(&runtime, plugins::spec(config, Kind::Mapper)?)?;
        let client = aws_sdk_kinesis::Client::new(&aws::kinesis_sdk_config(config).await);
        let sink = KinesisSink::new(
            client,
            mapper.worker(),
            KinesisSettings::from_config(config)?,
            &settings.prefix,
            &settings.database,
        );
        let mut sink = TransformingSink::new(sink, &runtime, steps)?;
        capture::run(settings, &mut sink, shutdown).await?;
    }
    Ok(())
}

/// Forward until `shutdown` completes.
pub async fn forward_stage(config: &Config, shutdown: impl Future<Output = ()>) -> Result<()> {
    let settings = ForwardSettings::from_config(config)?;
    let runtime = Runtime::new(&plugins::runtime_options(config))?;
    let plugin = Transformer::load(&runtime, plugins::spec(config, Kind::Transformer)?)?;
    let aws = aws::sdk_config(config).await;
    forward::run(settings, plugin, &aws, shutdown).await?;
    Ok(())
}

/// Consume until `shutdown` completes.
pub async fn consume_stage(config: &Config, shutdown: impl Future<Output = ()>) -> Result<()> {
    let settings = ConsumeSettings::from_config(config)?;
    let runtime = Runtime::new(&plugins::runtime_options(config))?;
    let plugin = Consumer::load(&runtime, plugins::spec(config, Kind::Consumer)?)?;
    let sqs = aws_sdk_sqs::Client::new(&aws::sdk_config(config).await);
    consume::run(settings, plugin, sqs, shutdown).await?;
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
