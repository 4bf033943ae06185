//! What `spillway forward` reads from the configuration.

use std::path::PathBuf;
use std::time::Duration;

use crate::config::{Config, ConfigError};

/// Where to start reading a shard that has no checkpoint yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartingPosition {
    /// The oldest record kept (the reference's choice).
    TrimHorizon,
    /// Only records written from now on.
    Latest,
    /// Records written at or after this time, in milliseconds since the epoch.
    AtTimestamp(i64),
}

/// What to do with checkpoints taken on a stream that has since been deleted
/// and created again under its name (`spillway.forward.replaced.stream.handling.mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplacedStream {
    /// Set the old checkpoints aside and read the new stream from its oldest
    /// record, whatever the starting position: nothing it holds is skipped.
    Restart,
    /// Refuse to start, saying what happened and the two ways on.
    Fail,
}

/// How the forward stage reads, batches and retries.
#[derive(Debug, Clone)]
pub struct ForwardSettings {
    /// The Kinesis streams to read.
    pub streams: Vec<String>,
    /// Where a shard without a checkpoint starts.
    pub starting_position: StartingPosition,
    /// Most records per transformer call.
    pub batch_size: i32,
    /// How long to gather records for a batch that is not full.
    pub batch_window: Duration,
    /// Pause between reads of a shard that had nothing new.
    pub poll_interval: Duration,
    /// Where shard checkpoints are kept.
    pub checkpoint_dir: PathBuf,
    /// What checkpoints taken on a since re-created stream lead to.
    pub replaced_stream: ReplacedStream,
    /// Attempts at a batch (transform and publish) before giving up; `None`
    /// retries forever, as the reference's event-source mapping did.
    pub retry_attempts: Option<u32>,
    /// Whether a batch failed for a reason that may clear up is split in
    /// halves (with backoff) to isolate the failing record.
    pub bisect: bool,
    /// Whether a failure no retry can fix isolates its record and gives up on
    /// it at once (`permanent.error.handling.mode=skip`).
    pub skip_permanent: bool,
    /// How long a shard may retry one part before the stage is not ready.
    pub stalled_after: Duration,
    /// The SQS queue (name or URL) told about records given up on.
    pub on_failure_queue: Option<String>,
}

impl ForwardSettings {
    /// Reads the `spillway.forward.*` settings.
    pub fn from_config(config: &Config) -> Result<Self, ConfigError> {
        let streams = config.list("spillway.forward.streams");
        if streams.is_empty() {
            return Err(ConfigError::Missing {
                key: "spillway.forward.streams".to_owned(),
                hint: "the Kinesis streams to forward, comma-separated".to_owned(),
            });
        }
        let position = config
            .get("spillway.forward.starting.position")
            .unwrap_or("TRIM_HORIZON");
        let starting_position = match position.to_ascii_uppercase().as_str() {
            "LATEST" => StartingPosition::Latest,
            "AT_TIMESTAMP" => StartingPosition::AtTimestamp(
                config
                    .get_u64("spillway.forward.starting.timestamp.ms")?
                    .and_then(|ms| i64::try_from(ms).ok())
                    .ok_or_else(|| ConfigError::Missing {
                        key: "spillway.forward.starting.timestamp.ms".to_owned(),
                        hint: "AT_TIMESTAMP needs the time to start at, in ms since the epoch"
                            .to_owned(),
                    })?,
            ),
            _ => StartingPosition::TrimHorizon,
        };
        let number = |key: &str| config.get_u64(key).map(|v| v.unwrap_or(0));
        let batch_size = number("spillway.forward.batch.size")?;
        if !(1..=10_000).contains(&batch_size) {
            return Err(ConfigError::Invalid {
                key: "spillway.forward.batch.size".to_owned(),
                value: batch_size.to_string(),
                reason: "expected 1 to 10000 (Kinesis' GetRecords limit)".to_owned(),
            });
        }
        let attempts = config
            .get("spillway.forward.retry.attempts")
            .unwrap_or("-1")
            .trim()
            .parse::<i64>()
            .unwrap_or(-1);
        Ok(Self {
            streams,
            starting_position,
            batch_size: i32::try_from(batch_size).unwrap_or(10),
            batch_window: Duration::from_millis(number("spillway.forward.batch.window.ms")?),
            poll_interval: Duration::from_millis(number("spillway.forward.poll.interval.ms")?),
            checkpoint_dir: PathBuf::from(
                config
                    .get("spillway.forward.checkpoint.dir")
                    .unwrap_or("data/checkpoints"),
            ),
            replaced_stream: match config.get("spillway.forward.replaced.stream.handling.mode") {
                Some(mode) if mode.trim().eq_ignore_ascii_case("fail") => ReplacedStream::Fail,
                _ => ReplacedStream::Restart,
            },
            retry_attempts: u32::try_from(attempts).ok().filter(|a| *a > 0),
            bisect: config
                .get("spillway.forward.bisect.on.error")
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("true")),
            skip_permanent: config.get("spillway.forward.permanent.error.handling.mode")
                != Some("retry"),
            stalled_after: Duration::from_secs(number("spillway.forward.stalled.after.seconds")?),
            on_failure_queue: config
                .get("spillway.forward.on.failure.queue")
                .map(str::trim)
                .filter(|q| !q.is_empty())
                .map(str::to_owned),
        })
    }
}
