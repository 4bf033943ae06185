//! The record that a slot's snapshot completed. A slot is created together
//! with the snapshot that starts it; if capture stops before the snapshot's
//! last row is stored, the slot exists but this record does not say so, and
//! the next start drops the slot and snapshots again instead of streaming
//! from a slot whose snapshot was never finished.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

/// The state file's content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Completed {
    database: String,
    slot: String,
    consistent_point: String,
}

/// The state file of one capture.
#[derive(Debug, Clone)]
pub struct State {
    file: PathBuf,
}

impl State {
    /// The state kept in `file`.
    pub fn new(file: &Path) -> Self {
        State {
            file: file.to_owned(),
        }
    }

    /// Whether the snapshot of `slot` in `database` is recorded as complete.
    pub fn snapshot_completed(&self, database: &str, slot: &str) -> Result<bool> {
        let text = match std::fs::read_to_string(&self.file) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => {
                return Err(e).with_context(|| format!("cannot read {}", self.file.display()));
            }
        };
        let completed: Completed = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a capture state file", self.file.display()))?;
        Ok(completed.database == database && completed.slot == slot)
    }

    /// Forgets any completed snapshot (before a new slot is created).
    pub fn clear(&self) -> Result<()> {
        match std::fs::remove_file(&self.file) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(e).with_context(|| format!("cannot remove {}", self.file.display()))
            }
            _ => Ok(()),
        }
    }

    /// Records that the snapshot of `slot` completed at `consistent_point`.
    pub fn complete(&self, database: &str, slot: &str, consistent_point: &str) -> Result<()> {
        let content = serde_json::to_vec_pretty(&Completed {
            database: database.to_owned(),
            slot: slot.to_owned(),
            consistent_point: consistent_point.to_owned(),
        })?;
        crate::durable::replace(&self.file, &content)
            .with_context(|| format!("cannot write {}", self.file.display()))
    }
}
