//! Where each shard's progress is kept: the sequence number of the last record
//! whose events were all accepted by EventBridge, one small file per shard,
//! replaced atomically ([`crate::durable`]).

use std::path::PathBuf;

/// The checkpoint of a shard that is closed and whose every record was forwarded.
pub const SHARD_END: &str = "SHARD_END";

/// Checkpoints under one directory: `<dir>/<stream>/<shard-id>`.
#[derive(Debug, Clone)]
pub struct Checkpoints {
    dir: PathBuf,
}

impl Checkpoints {
    /// Checkpoints kept in `dir` (created when first written).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    fn file(&self, stream: &str, shard: &str) -> PathBuf {
        self.dir.join(stream).join(shard)
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
}

#[cfg(test)]
mod tests {
    use super::Checkpoints;

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
