//! Where each shard's progress is kept: the sequence number of the last record
//! whose events were all accepted by EventBridge, one small file per shard,
//! replaced atomically ([`crate::durable`]).
//!
//! A sequence number only means something on the stream it was read from. A
//! stream deleted and created again under its name (on AWS, or an emulator
//! restarted) keeps its name and ARN but starts over, so each stream's
//! directory also records which stream its checkpoints were taken on (its
//! ARN and creation time, [`StreamIdentity`]); [`Checkpoints::verify`] tells a
//! stream that was replaced apart from the one the checkpoints belong to.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// The checkpoint of a shard that is closed and whose every record was forwarded.
pub const SHARD_END: &str = "SHARD_END";

/// The file, beside a stream's shard checkpoints, naming the stream they were
/// taken on (shard ids never contain a dot, so it cannot be a shard's).
const IDENTITY: &str = "stream.json";

/// Which Kinesis stream checkpoints belong to: DescribeStreamSummary's
/// `StreamARN` and `StreamCreationTimestamp` (milliseconds since the epoch).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamIdentity {
    /// The stream's ARN (the same for a stream re-created under its name).
    pub arn: String,
    /// When the stream was created, in milliseconds since the epoch.
    pub created_ms: i64,
    /// Whether the stream replaced one whose checkpoints were set aside: its
    /// shards without a checkpoint start at their oldest record, also after
    /// a restart, whatever the starting position.
    #[serde(default)]
    pub from_oldest: bool,
}

impl StreamIdentity {
    /// Whether `other` is the same stream.
    fn same_stream(&self, other: &StreamIdentity) -> bool {
        self.arn == other.arn && self.created_ms == other.created_ms
    }
}

/// What [`Checkpoints::verify`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The checkpoints were taken on this stream; `from_oldest` when it
    /// replaced another (see [`StreamIdentity::from_oldest`]).
    Same {
        /// Shards without a checkpoint start at their oldest record.
        from_oldest: bool,
    },
    /// No stream was recorded yet (a first start, or checkpoints written by a
    /// version that did not record it): this one is recorded now.
    Recorded,
    /// The checkpoints were taken on another stream of the same name, since
    /// deleted: they say nothing about this one.
    Replaced {
        /// The stream the checkpoints were taken on.
        taken_on: StreamIdentity,
    },
}

/// Checkpoints under one directory: `<dir>/<stream>/<shard-id>`, and
/// `<dir>/<stream>/stream.json` for the stream they belong to.
#[derive(Debug, Clone)]
pub struct Checkpoints {
    dir: PathBuf,
}

impl Checkpoints {
    /// Checkpoints kept in `dir` (created when first written).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The directory holding the checkpoints of `stream`.
    pub fn stream_dir(&self, stream: &str) -> PathBuf {
        self.dir.join(stream)
    }

    fn file(&self, stream: &str, shard: &str) -> PathBuf {
        self.stream_dir(stream).join(shard)
    }

    /// The last checkpointed sequence number of a shard, if any.
    pub fn load(&self, stream: &str, shard: &str) -> std::io::Result<Option<String>> {
        match std::fs::read_to_string(self.file(stream, shard)) {
            Ok(text) => Ok(Some(text.trim().to_owned()).filter(|s| !s.is_empty())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Whether a shard is closed and fully forwarded. An unreadable
    /// checkpoint counts as not finished (its children wait).
    pub fn is_finished(&self, stream: &str, shard: &str) -> bool {
        matches!(self.load(stream, shard), Ok(Some(c)) if c == SHARD_END)
    }

    /// Records that everything up to `sequence` is done.
    pub fn store(&self, stream: &str, shard: &str, sequence: &str) -> std::io::Result<()> {
        crate::durable::replace(&self.file(stream, shard), sequence.as_bytes())
    }

    /// Whether the checkpoints of `stream` were taken on `current`; records
    /// `current` when nothing was recorded yet. Errors: the directory cannot
    /// be read or written, or its identity file is not what this writes.
    pub fn verify(&self, stream: &str, current: &StreamIdentity) -> std::io::Result<Verdict> {
        let file = self.file(stream, IDENTITY);
        match std::fs::read(&file) {
            Ok(bytes) => {
                let taken_on: StreamIdentity = serde_json::from_slice(&bytes).map_err(|e| {
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("{} is not a stream identity: {e}", file.display()),
                    )
                })?;
                Ok(if taken_on.same_stream(current) {
                    Verdict::Same {
                        from_oldest: taken_on.from_oldest,
                    }
                } else {
                    Verdict::Replaced { taken_on }
                })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                self.record(stream, current)?;
                Ok(Verdict::Recorded)
            }
            Err(e) => Err(e),
        }
    }

    /// Moves the checkpoints of `stream`, taken on the stream `taken_on`, to
    /// `<dir>/<stream>.replaced-<its creation ms>` (kept for an operator to
    /// look at, never read again) and records `current` as the stream the
    /// directory's new checkpoints belong to. Returns where they went.
    pub fn set_aside(
        &self,
        stream: &str,
        taken_on: &StreamIdentity,
        current: &StreamIdentity,
    ) -> std::io::Result<PathBuf> {
        let aside = self
            .dir
            .join(format!("{stream}.replaced-{}", taken_on.created_ms));
        std::fs::rename(self.stream_dir(stream), &aside)?;
        let replacement = StreamIdentity {
            from_oldest: true,
            ..current.clone()
        };
        self.record(stream, &replacement)?;
        Ok(aside)
    }

    fn record(&self, stream: &str, identity: &StreamIdentity) -> std::io::Result<()> {
        let json = serde_json::to_vec(identity).map_err(std::io::Error::other)?;
        crate::durable::replace(&self.file(stream, IDENTITY), &json)
    }
}

#[cfg(test)]
mod tests {
    use super::{Checkpoints, StreamIdentity, Verdict};

    #[test]
    fn checkpoints_taken_on_a_replaced_stream_are_told_apart_and_set_aside() {
        let dir = tempfile::tempdir().unwrap();
        let checkpoints = Checkpoints::new(dir.path());
        let old = StreamIdentity {
            arn: "arn:aws:kinesis:us-east-1:123456789012:stream/s".to_owned(),
            created_ms: 1_000,
            from_oldest: false,
        };
        let new = StreamIdentity {
            created_ms: 2_000,
            ..old.clone()
        };
        assert_eq!(checkpoints.verify("s", &old).unwrap(), Verdict::Recorded);
        checkpoints.store("s", "shardId-0", "42").unwrap();
        assert_eq!(
            checkpoints.verify("s", &old).unwrap(),
            Verdict::Same { from_oldest: false }
        );
        let verdict = checkpoints.verify("s", &new).unwrap();
        assert_eq!(
            verdict,
            Verdict::Replaced {
                taken_on: old.clone()
            }
        );
        let aside = checkpoints.set_aside("s", &old, &new).unwrap();
        assert_eq!(aside, dir.path().join("s.replaced-1000"));
        assert_eq!(checkpoints.load("s", "shardId-0").unwrap(), None);
        // The replacement is read from its oldest record, also after a restart.
        assert_eq!(
            checkpoints.verify("s", &new).unwrap(),
            Verdict::Same { from_oldest: true }
        );
        let kept = Checkpoints::new(dir.path());
        assert_eq!(
            kept.load("s.replaced-1000", "shardId-0")
                .unwrap()
                .as_deref(),
            Some("42")
        );
    }

    #[test]
    fn a_checkpoint_survives_and_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let checkpoints = Checkpoints::new(dir.path());
        assert_eq!(checkpoints.load("s", "shardId-0").unwrap(), None);
        checkpoints.store("s", "shardId-0", "42").unwrap();
        checkpoints.store("s", "shardId-0", "43").unwrap();
        let reopened = Checkpoints::new(dir.path());
        assert_eq!(
            reopened.load("s", "shardId-0").unwrap().as_deref(),
            Some("43")
        );
        assert_eq!(reopened.load("s", "shardId-1").unwrap(), None);
    }
}
