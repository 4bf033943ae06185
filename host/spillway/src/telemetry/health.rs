//! Readiness of the stages a process runs: a stage is `starting` until it
//! has passed its checks and connected (capture to its slot, forward to its
//! streams, consume to its queue), then `ready`. The process is ready when
//! every stage it runs is.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde::Serialize;

/// Where a stage is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Readiness {
    /// Checking, connecting, or waiting for what it needs.
    Starting,
    /// Doing its work.
    Ready,
    /// Running, but stuck on something it keeps retrying (the log says what).
    Stalled,
}

static STAGES: Mutex<BTreeMap<&'static str, Readiness>> = Mutex::new(BTreeMap::new());

fn set(stage: &'static str, readiness: Readiness) {
    STAGES
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(stage, readiness);
}

/// `stage` runs in this process and is not ready yet.
pub fn starting(stage: &'static str) {
    set(stage, Readiness::Starting);
}

/// `stage` is doing its work.
pub fn ready(stage: &'static str) {
    set(stage, Readiness::Ready);
}

/// `stage` keeps retrying something and makes no progress.
pub fn stalled(stage: &'static str) {
    set(stage, Readiness::Stalled);
}

/// Every stage of the process and where it is; ready when all are (and at
/// least one runs).
pub fn report() -> (bool, BTreeMap<&'static str, Readiness>) {
    let stages = STAGES
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    let ready = !stages.is_empty() && stages.values().all(|r| *r == Readiness::Ready);
    (ready, stages)
}

/// Watches one thing a stage retries until it succeeds (storing a batch,
/// receiving from a queue): once it has failed for `after`, the stage is
/// reported stalled (readiness 503, with an error in the log), and ready
/// again at its first success.
#[derive(Debug)]
pub struct Stall {
    stage: &'static str,
    after: Duration,
    since: Option<Instant>,
    stalled: bool,
}

impl Stall {
    /// Watches retries of `stage`, stalled after failing for `after`.
    pub fn new(stage: &'static str, after: Duration) -> Self {
        Stall {
            stage,
            after,
            since: None,
            stalled: false,
        }
    }

    /// A try failed; `what` says what is retried, for the log.
    pub fn failed(&mut self, what: &str) {
        let since = *self.since.get_or_insert_with(Instant::now);
        if !self.stalled && since.elapsed() >= self.after {
            self.stalled = true;
            stalled(self.stage);
            tracing::error!(
                stage = self.stage,
                seconds = since.elapsed().as_secs(),
                "stalled: {what} keeps failing; not ready until it succeeds"
            );
        }
    }

    /// A try succeeded.
    pub fn succeeded(&mut self) {
        self.since = None;
        if self.stalled {
            self.stalled = false;
            ready(self.stage);
            tracing::info!(stage = self.stage, "no longer stalled");
        }
    }
}
