//! What `spillway consume` reads from the configuration.

use std::time::Duration;

use crate::config::{Config, ConfigError};

/// How the consume stage polls and handles messages.
#[derive(Debug, Clone)]
pub struct ConsumeSettings {
    /// The queue: a name (looked up) or a queue URL.
    pub queue: String,
    /// Long-poll wait per receive (0-20 s).
    pub wait: Duration,
    /// Visibility timeout of received messages; kept extended while they wait
    /// or are being handled.
    pub visibility: Duration,
    /// Messages per receive (1-10).
    pub batch_size: i32,
    /// Concurrent receive loops.
    pub pollers: usize,
    /// Plugin instances, so message groups handled in parallel.
    pub workers: usize,
    /// When a message comes back after the plugin failed on it (trap, timeout).
    pub failure_retry: Duration,
    /// How long receiving may keep failing before consume reports itself
    /// stalled (`spillway.consumer.stalled.after.seconds`).
    pub stalled_after: Duration,
}

impl ConsumeSettings {
    /// Reads and checks the `spillway.consumer.*` stage settings.
    pub fn from_config(config: &Config) -> Result<Self, ConfigError> {
        let queue = config
            .get("spillway.consumer.queue")
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .ok_or_else(|| ConfigError::Missing {
                key: "spillway.consumer.queue".to_owned(),
                hint: "the queue to consume, by name (data-change.fifo) or URL".to_owned(),
            })?
            .to_owned();
        let wait = ranged(config, "spillway.consumer.wait.seconds", 0, 20)?;
        let visibility = ranged(config, "spillway.consumer.visibility.seconds", 1, 43_200)?;
        let failure_retry = ranged(config, "spillway.consumer.failure.retry.seconds", 0, 43_200)?;
        Ok(Self {
            queue,
            wait: Duration::from_secs(wait),
            visibility: Duration::from_secs(visibility),
            batch_size: i32::try_from(ranged(config, "spillway.consumer.batch.size", 1, 10)?)
                .unwrap_or(10),
            pollers: usize::try_from(ranged(config, "spillway.consumer.pollers", 1, 64)?)
                .unwrap_or(1),
            workers: usize::try_from(ranged(config, "spillway.consumer.workers", 1, 256)?)
                .unwrap_or(1),
            failure_retry: Duration::from_secs(failure_retry),
            stalled_after: Duration::from_secs(ranged(
                config,
                "spillway.consumer.stalled.after.seconds",
                1,
                86_400,
            )?),
        })
    }
}

/// A whole number within `min..=max` (every key here has a default).
fn ranged(config: &Config, key: &str, min: u64, max: u64) -> Result<u64, ConfigError> {
    Ok(config.get_u64_within(key, min, max)?.unwrap_or(min))
}
