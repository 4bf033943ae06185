//! The snapshot's readers: `snapshot.max.threads` connections, each on its
//! own thread, reading chunks handed to them and sending back the rows.
//!
//! For a slot created now, every reader imports the slot's exported
//! snapshot (`SET TRANSACTION SNAPSHOT`) before any row is read, so all
//! chunks see the database as of the slot's consistent point. For a slot
//! that already existed that snapshot is gone: the first reader exports one
//! of its own (`pg_export_snapshot`) and the others import it, so the
//! chunks still see one moment, and the table locks each first read takes
//! keep a table from being rewritten under the readers.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use pg_walstream::{PgReplicationConnection, PgResult};

use super::super::catalog::literal;

/// A chunk to read: its place in the snapshot's order and its statement.
pub struct Work {
    /// Position in the snapshot's order (0, 1, ...).
    pub seq: usize,
    /// The statement reading it.
    pub sql: String,
}

/// A chunk read (or the reason it could not be).
pub struct Read {
    /// The chunk's position in the snapshot's order.
    pub seq: usize,
    /// Its rows, columns in the table's order, as text.
    pub rows: Result<PgResult>,
}

/// Which snapshot the readers read in.
pub enum Pin<'a> {
    /// The slot's exported snapshot, by name.
    Exported(&'a str),
    /// One taken now by the first reader.
    Now,
}

/// The reader threads: hand them work with [`Readers::send`]; rows arrive
/// on the channel given to [`Readers::start`]. Dropping this stops them
/// after the chunk each is reading.
pub struct Readers {
    work: Sender<Work>,
}

impl Readers {
    /// Opens `count` connections with `conninfo` pinned to `pin`, then
    /// starts a thread for each; also returns the snapshot they read in, as
    /// `pg_current_snapshot()` writes it (`xmin:xmax:xip,...`). Errors: a
    /// connection, or the export or import of the snapshot, failed.
    pub fn start(
        count: usize,
        conninfo: &str,
        pin: Pin<'_>,
        rows: tokio::sync::mpsc::Sender<Read>,
    ) -> Result<(Self, String)> {
        let mut connections = Vec::with_capacity(count);
        let mut exported = match pin {
            Pin::Exported(name) => Some(name.to_owned()),
            Pin::Now => None,
        };
        for _ in 0..count.max(1) {
            let mut connection = PgReplicationConnection::connect(conninfo)
                .context("cannot open a snapshot reader connection")?;
            connection
                .exec("BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                .context("cannot start the snapshot transaction")?;
            match &exported {
                Some(name) => {
                    connection
                        .exec(&format!("SET TRANSACTION SNAPSHOT {}", literal(name)))
                        .context("cannot import the snapshot")?;
                }
                None => {
                    let result = connection
                        .exec("SELECT pg_export_snapshot()")
                        .context("cannot export a snapshot")?;
                    exported = Some(result.get_value(0, 0).context("no snapshot exported")?);
                }
            }
            connections.push(connection);
        }
        let snapshot = connections[0]
            .exec("SELECT pg_current_snapshot()::text")
            .context("cannot read the snapshot's horizon")?
            .get_value(0, 0)
            .unwrap_or_default();
        let (work, queue) = channel::<Work>();
        let queue = Arc::new(Mutex::new(queue));
        for (n, connection) in connections.into_iter().enumerate() {
            let queue = Arc::clone(&queue);
            let rows = rows.clone();
            std::thread::Builder::new()
                .name(format!("snapshot-reader-{n}"))
                .spawn(move || read(connection, &queue, &rows))
                .context("cannot start a snapshot reader thread")?;
        }
        Ok((Readers { work }, snapshot))
    }

    /// Queues a chunk for the next free reader.
    pub fn send(&self, work: Work) {
        // The readers end only when this sender is dropped, or after the
        // receiving side of the rows is gone (the snapshot stopped).
        let _ = self.work.send(work);
    }
}

/// One reader's loop: until the work queue closes or nobody wants the rows.
fn read(
    mut connection: PgReplicationConnection,
    queue: &Mutex<Receiver<Work>>,
    rows: &tokio::sync::mpsc::Sender<Read>,
) {
    loop {
        let next = match queue.lock() {
            Ok(queue) => queue.recv(),
            Err(_) => return,
        };
        let Ok(work) = next else { return };
        // A panic inside the connection becomes the chunk's error, so the
        // writer, waiting for this chunk, hears of it.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            connection
                .exec(&work.sql)
                .with_context(|| format!("cannot read a snapshot chunk: {}", work.sql))
        }))
        .unwrap_or_else(|_| Err(anyhow::anyhow!("a snapshot reader failed: {}", work.sql)));
        let read = Read {
            seq: work.seq,
            rows: result,
        };
        if rows.blocking_send(read).is_err() {
            return;
        }
    }
}
