//! The snapshot's readers: `snapshot.max.threads` connections, each on its
//! own thread, reading chunks handed to them and sending back their rows as
//! `op: r` events (marked `"snapshot":"true"`; the writer marks the first
//! and last rows, which it gets as text too).
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
use super::super::event::{Encoder, Op, Position, Record};
use super::super::failure::FailureHandling;
use super::super::table::{Cell, Table};

/// A chunk to read: its place in the snapshot's order, its statement and
/// its table.
pub struct Work {
    /// Position in the snapshot's order (0, 1, ...).
    pub seq: usize,
    /// The statement reading it (columns in the table's order).
    pub sql: String,
    /// The table its rows belong to.
    pub table: Arc<Table>,
}

/// A chunk read (or the reason it could not be).
pub struct Read {
    /// The chunk's position in the snapshot's order.
    pub seq: usize,
    /// Its events.
    pub chunk: Result<Chunk>,
}

/// A row as text, column by column (`None`: NULL).
pub type Row = Vec<Option<String>>;

/// A chunk's rows as events, in order, marked `"snapshot":"true"`; `None`
/// where `event.processing.failure.handling.mode` left an event out. Its
/// first and last rows come as text too, for the writer to mark them.
pub struct Chunk {
    /// One per row.
    pub events: Vec<Option<Record>>,
    /// The first row (empty when the chunk is).
    pub first: Row,
    /// The last row (empty when the chunk is).
    pub last: Row,
}

/// How rows become events.
#[derive(Clone)]
pub struct Encoding {
    /// The connector's encoder.
    pub encoder: Encoder,
    /// The snapshot's position (its marker set per event).
    pub position: Position,
    /// `event.processing.failure.handling.mode`.
    pub failure: FailureHandling,
}

impl Encoding {
    /// `row` of `table` as an `op: r` event marked `marker`; `None` when
    /// the failure handling leaves it out. Errors: it cannot be written and
    /// the failure handling is `fail`.
    pub fn event(
        &self,
        table: &Arc<Table>,
        row: &[Cell<'_>],
        marker: &'static str,
    ) -> Result<Option<Record>> {
        let mut position = self.position;
        position.snapshot = marker;
        let event = self
            .encoder
            .change(table, Op::Read, None, Some(row), &position);
        self.failure.apply(event, table, position.lsn)
    }
}

/// The cells of a row held as text.
pub fn cells(row: &Row) -> Vec<Cell<'_>> {
    row.iter()
        .map(|value| value.as_deref().map_or(Cell::Null, Cell::Text))
        .collect()
}

fn result_cells(rows: &PgResult, row: i32, columns: usize) -> Vec<Cell<'_>> {
    (0..columns as i32)
        .map(|c| match rows.get_bytes(row, c) {
            None => Cell::Null,
            Some(bytes) => std::str::from_utf8(bytes).map_or(Cell::Null, Cell::Text),
        })
        .collect()
}

fn owned(cells: &[Cell<'_>]) -> Row {
    cells
        .iter()
        .map(|cell| match cell {
            Cell::Text(text) => Some((*text).to_owned()),
            Cell::Null | Cell::Absent => None,
        })
        .collect()
}

/// Reads `work` on `connection` and turns its rows into events.
fn chunk(
    connection: &mut PgReplicationConnection,
    work: &Work,
    encoding: &Encoding,
) -> Result<Chunk> {
    let rows = connection
        .exec(&work.sql)
        .with_context(|| format!("cannot read a snapshot chunk: {}", work.sql))?;
    let count = rows.ntuples();
    let columns = work.table.columns.len();
    let mut chunk = Chunk {
        events: Vec::with_capacity(count.max(0) as usize),
        first: Vec::new(),
        last: Vec::new(),
    };
    for r in 0..count {
        let cells = result_cells(&rows, r, columns);
        if r == 0 {
            chunk.first = owned(&cells);
        }
        if r == count - 1 {
            chunk.last = owned(&cells);
        }
        chunk
            .events
            .push(encoding.event(&work.table, &cells, "true")?);
    }
    Ok(chunk)
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
        encoding: &Encoding,
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
            let encoding = encoding.clone();
            std::thread::Builder::new()
                .name(format!("snapshot-reader-{n}"))
                .spawn(move || read(connection, &queue, &encoding, &rows))
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
    encoding: &Encoding,
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
            chunk(&mut connection, &work, encoding)
        }))
        .unwrap_or_else(|_| Err(anyhow::anyhow!("a snapshot reader failed: {}", work.sql)));
        let read = Read {
            seq: work.seq,
            chunk: result,
        };
        if rows.blocking_send(read).is_err() {
            return;
        }
    }
}
