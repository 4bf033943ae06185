//! Readiness of the stages a process runs: a stage is `starting` until it
//! has passed its checks and connected (capture to its slot, forward to its
//! streams, consume to its queue), then `ready`. The process is ready when
//! every stage it runs is.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

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
