//! The record of a slot's snapshot: started, or completed. A slot is created
//! together with the snapshot that starts it. Capture records that the
//! snapshot started before it creates the slot, and that it completed once
//! the snapshot's last row is stored, so a start that finds the slot knows
//! which it is: a completed snapshot streams on; an interrupted one is
//! dropped with its slot and taken again. A slot the file says nothing of
//! (the file was lost, or another tool made the slot) is never dropped:
//! capture refuses to start and names the choice (see [`Snapshot`]).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

/// The state file's content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Record {
    database: String,
    slot: String,
    /// Where the slot's snapshot meets the stream (empty when unknown: a slot
    /// streamed from without a snapshot of Spillway's).
    consistent_point: String,
    /// The snapshot started and has not completed (files written before
    /// this field existed recorded only completed snapshots).
    #[serde(default)]
    in_progress: bool,
}

/// What the state file says of a slot's snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Snapshot {
    /// It completed: streaming goes on from the slot.
    Completed,
    /// It started and did not complete: its slot is dropped and the snapshot
    /// taken again.
    Interrupted,
    /// The file says nothing of this slot.
    Unknown,
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

    /// What the file records of the snapshot of `slot` in `database`.
    pub fn snapshot(&self, database: &str, slot: &str) -> Result<Snapshot> {
        let text = match std::fs::read_to_string(&self.file) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Snapshot::Unknown),
            Err(e) => {
                return Err(e).with_context(|| format!("cannot read {}", self.file.display()));
            }
        };
        let record: Record = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a capture state file", self.file.display()))?;
        Ok(
            match (
                record.database == database && record.slot == slot,
                record.in_progress,
            ) {
                (false, _) => Snapshot::Unknown,
                (true, true) => Snapshot::Interrupted,
                (true, false) => Snapshot::Completed,
            },
        )
    }

    /// Records that a snapshot of `slot` starts (before its slot is created).
    pub fn start(&self, database: &str, slot: &str) -> Result<()> {
        self.write(database, slot, "", true)
    }

    /// Records that the snapshot of `slot` completed at `consistent_point`
    /// (empty: the slot is streamed from without a snapshot).
    pub fn complete(&self, database: &str, slot: &str, consistent_point: &str) -> Result<()> {
        self.write(database, slot, consistent_point, false)
    }

    fn write(&self, database: &str, slot: &str, point: &str, in_progress: bool) -> Result<()> {
        let content = serde_json::to_vec_pretty(&Record {
            database: database.to_owned(),
            slot: slot.to_owned(),
            consistent_point: point.to_owned(),
            in_progress,
        })?;
        crate::durable::replace(&self.file, &content)
            .with_context(|| format!("cannot write {}", self.file.display()))
    }
}
