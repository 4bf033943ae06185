//! The initial snapshot: chunked, parallel and resumable.
//!
//! - [`plan`]: the tables in Debezium's order, each relation cut into
//!   `ctid` chunks of about `spillway.capture.snapshot.chunk.size` rows;
//! - [`reader`]: `snapshot.max.threads` connections reading chunks
//!   concurrently;
//! - [`progress`]: per-table and overall progress in the log and metrics.
//!
//! Chunks are read concurrently but written to the sink in plan order, one
//! at a time, so the events are the same whatever the number of readers,
//! with Debezium's snapshot markers (`first`, `first_in_data_collection`,
//! `true`, `last_in_data_collection`, `last`). After a chunk's events are
//! stored, the chunk is recorded as done in the state table; a restart
//! after a crash reads again only the chunks not recorded (at most the one
//! being written, plus the last row of the chunk before it, whose marker
//! waits for the next row).
//!
//! A slot created now exports its snapshot and every reader imports it:
//! the snapshot and the stream meet at the slot's consistent point without
//! gap or overlap. A slot that already exists is never dropped (its
//! changes are what a restart must not lose); its snapshot is read in one
//! snapshot taken now, and the slot's changes since its consistent point
//! stream after it: every row arrives, and a row changed meanwhile may be
//! followed by changes older than its snapshot event before its newest
//! one, as with Debezium's snapshot of an existing slot. A relation partly
//! read before a restart also has its stored blocks read again for the
//! rows written since (a catch-up, see [`plan::Part::catch_up_sql`]): an
//! update may have moved a row into them, and the stream's update of it
//! would lack its unchanged TOASTed values.

mod plan;
mod progress;
mod reader;

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use pg_walstream::{LogicalReplicationStream, SnapshotOutcome};

use super::Tables;
use super::catalog::Catalog;
use super::event::{Encoder, Position, Record};
use super::settings::CaptureSettings;
use super::sink::Sink;
use super::state::State;
use super::table::Table;
use crate::telemetry::metrics::SNAPSHOT_CHUNKS;
use plan::Part;
use progress::Progress;
use reader::{Chunk, Encoding, Read, Readers, Row, Work};

/// How a snapshot ended.
pub enum Taken {
    /// Every row was stored: the stream, ready to start where the snapshot
    /// ends, the number of rows, and the consistent point.
    Complete(Box<LogicalReplicationStream>, u64, String),
    /// `shutdown` completed first.
    Stopped,
}

/// Where a snapshot starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Begin {
    /// There is no slot: it is created now, with an exported snapshot.
    NewSlot,
    /// The slot exists: every table is read again (`snapshot.mode=always`,
    /// `when_needed`).
    Again,
    /// The slot exists and its snapshot is in progress: the chunks not
    /// recorded as done are read.
    Resume,
}

/// Reads the captured tables and writes them to `sink` as `op: r` events,
/// recording progress in `state`, until done or until `shutdown` completes.
#[allow(clippy::too_many_arguments)]
pub async fn run<S: Sink, F: Future<Output = ()>>(
    stream: LogicalReplicationStream,
    begin: Begin,
    recorded_horizon: &str,
    settings: &CaptureSettings,
    tables: &Tables,
    catalog: &mut Catalog,
    state: &mut State,
    encoder: &Encoder,
    sink: &mut S,
    shutdown: &mut Pin<&mut F>,
) -> Result<Taken> {
    let threads = settings.snapshot_threads;
    let (rows_in, mut rows) = tokio::sync::mpsc::channel::<Read>(threads);
    let conninfo = settings.conninfo(false);
    let (stream, readers, consistent_point, horizon, encoding) = match begin {
        Begin::NewSlot => {
            state.start("", "")?;
            let snapshot = match stream
                .snapshot()
                .await
                .context("cannot create the slot and its snapshot")?
            {
                SnapshotOutcome::Available(snapshot) => snapshot,
                SnapshotOutcome::Unavailable(_) => bail!(
                    "replication slot '{}' appeared while capture was starting: is another \
                     capture running with this slot?",
                    settings.slot
                ),
            };
            let name = snapshot
                .stream()
                .exported_snapshot_name()
                .context("the new slot exported no snapshot")?
                .to_owned();
            let point = snapshot.consistent_point().to_string();
            // Every reader imports the snapshot before the slot's stream is
            // handed back; an error here drops the new slot with `snapshot`.
            let encoding = encoding(settings, encoder, catalog, &point)?;
            let (readers, horizon) = Readers::start(
                threads,
                &conninfo,
                reader::Pin::Exported(&name),
                &encoding,
                rows_in.clone(),
            )?;
            let stream = snapshot
                .abandon()
                .await
                .context("cannot take the stream back from the snapshot")?;
            state.started(&point, &horizon)?;
            (stream, readers, point, horizon, encoding)
        }
        Begin::Again | Begin::Resume => {
            let point = catalog
                .slot(&settings.slot)?
                .map(|s| s.confirmed_flush)
                .context("the replication slot disappeared")?;
            let encoding = encoding(settings, encoder, catalog, &point)?;
            let (readers, now) = Readers::start(
                threads,
                &conninfo,
                reader::Pin::Now,
                &encoding,
                rows_in.clone(),
            )?;
            let horizon = if begin == Begin::Again {
                state.start(&point, &now)?;
                now
            } else {
                recorded_horizon.to_owned()
            };
            (stream, readers, point, horizon, encoding)
        }
    };
    drop(rows_in);

    let ordered = plan::ordered(settings, tables);
    let mut parts = plan::parts(
        catalog,
        &ordered,
        tables,
        settings.snapshot_chunk_rows,
        settings.schemas,
    )?;
    let mut earlier: HashMap<u32, u64> = HashMap::new();
    for part in &mut parts {
        let recorded = if begin == Begin::Resume {
            state.chunks(&part.relation)?
        } else {
            None
        };
        match recorded {
            Some(chunks) if chunks.relfilenode == part.chunks.relfilenode => {
                part.chunks = chunks;
                if chunks.done > 0 && chunks.done < chunks.chunks && horizon.is_empty() {
                    tracing::warn!(
                        relation = %part.relation,
                        "the snapshot the stored chunks of this table were read in is not \
                         recorded: the table is read again from its first chunk"
                    );
                    part.chunks.done = 0;
                    part.chunks.rows = 0;
                    state.save_chunks(&part.relation, &part.chunks)?;
                } else {
                    part.catch_up = chunks.done > 0 && chunks.done < chunks.chunks;
                    *earlier.entry(part.table_oid).or_default() += chunks.rows;
                }
            }
            Some(_) => {
                tracing::warn!(
                    relation = %part.relation,
                    "the table was rewritten (VACUUM FULL, CLUSTER, ...) since its snapshot \
                     started: its rows moved, so it is read again from its first chunk"
                );
                state.save_chunks(&part.relation, &part.chunks)?;
            }
            None => state.save_chunks(&part.relation, &part.chunks)?,
        }
    }
    let work: Vec<(usize, u64)> = parts
        .iter()
        .enumerate()
        .flat_map(|(p, part)| {
            let catch_up = part.catch_up.then_some((p, plan::CATCH_UP));
            catch_up
                .into_iter()
                .chain((part.chunks.done..part.chunks.chunks).map(move |c| (p, c)))
        })
        .collect();
    let stored: u64 = earlier.values().sum();
    tracing::info!(
        tables = ordered.len(),
        relations = parts.len(),
        chunks = work.len(),
        threads,
        lsn = %consistent_point,
        "{}",
        match begin {
            Begin::NewSlot => "snapshot started".to_owned(),
            Begin::Again => "snapshot started again; the slot's changes stream after it".to_owned(),
            Begin::Resume => format!(
                "snapshot resumed after {stored} stored rows: the rest is read as of now (in a \
                 table read in part, with the rows written since into the blocks already read), \
                 and the slot's changes since {consistent_point} stream after it"
            ),
        }
    );
    crate::telemetry::health::ready("capture");

    let mut writer = Writer {
        settings,
        encoding,
        sink,
        state,
        progress: Progress::new(tables, settings.progress_interval, earlier),
        batch: Vec::with_capacity(settings.batch_size),
        held: None,
        unrecorded: Vec::new(),
        seen_table: None,
        emitted: 0,
    };

    // Each reader reads one chunk ahead of the writer, and one more waits.
    let window = threads + 1;
    let mut dispatched = 0;
    let statements: Vec<(String, Arc<Table>)> = work
        .iter()
        .map(|&(p, c)| (parts[p].sql(c, &horizon), Arc::clone(&parts[p].table)))
        .collect();
    let dispatch = |readers: &Readers, dispatched: &mut usize| {
        if let Some((sql, table)) = statements.get(*dispatched) {
            readers.send(Work {
                seq: *dispatched,
                sql: sql.clone(),
                table: Arc::clone(table),
            });
            *dispatched += 1;
        }
    };
    while dispatched < window.min(work.len()) {
        dispatch(&readers, &mut dispatched);
    }
    let mut ready: BTreeMap<usize, Chunk> = BTreeMap::new();
    for (seq, &(p, c)) in work.iter().enumerate() {
        let result = loop {
            if let Some(result) = ready.remove(&seq) {
                break result;
            }
            let read = tokio::select! {
                biased;
                () = shutdown.as_mut() => {
                    tracing::warn!(
                        rows = writer.emitted,
                        "stopping during the snapshot: the next start resumes it from the \
                         chunks recorded as done"
                    );
                    return Ok(Taken::Stopped);
                }
                read = rows.recv() => read.context("the snapshot readers stopped")?,
            };
            ready.insert(read.seq, read.chunk?);
        };
        dispatch(&readers, &mut dispatched);
        writer.chunk(&mut parts, p, c, result).await?;
    }
    drop(readers);
    writer.finish(&mut parts).await?;
    Ok(Taken::Complete(
        Box::new(stream),
        writer.emitted,
        consistent_point,
    ))
}

/// The last row of a chunk, written once the next row shows which marker
/// it carries.
struct Held {
    part: usize,
    chunk: u64,
    /// Its event marked `"snapshot":"true"`, and its text to mark it
    /// otherwise.
    event: Option<Record>,
    row: Row,
    table: Arc<Table>,
    oid: u32,
    first_in_table: bool,
}

/// Writes chunks' events, in order, and records chunks as done.
struct Writer<'a, S: Sink> {
    settings: &'a CaptureSettings,
    encoding: Encoding,
    sink: &'a mut S,
    state: &'a mut State,
    progress: Progress<'a>,
    batch: Vec<Record>,
    held: Option<Held>,
    /// Chunks written but not recorded yet: (part, chunk, rows).
    unrecorded: Vec<(usize, u64, u64)>,
    seen_table: Option<u32>,
    emitted: u64,
}

impl<S: Sink> Writer<'_, S> {
    /// Writes chunk `chunk` of `parts[part]`, then records what is stored.
    async fn chunk(
        &mut self,
        parts: &mut [Part],
        part: usize,
        chunk: u64,
        mut read: Chunk,
    ) -> Result<()> {
        let n = read.events.len();
        let (table, oid) = (Arc::clone(&parts[part].table), parts[part].table_oid);
        if n > 0 {
            if let Some(held) = self.held.take() {
                let marker = marker(
                    false,
                    self.emitted == 0,
                    held.oid != oid,
                    held.first_in_table,
                );
                self.emit(&held.table, held.event, &held.row, marker)
                    .await?;
                // Its chunk is stored whole now: record it before writing
                // more, so a crash reads at most the chunk being written again.
                self.flush().await?;
                let through = self
                    .unrecorded
                    .iter()
                    .position(|&(p, c, _)| (p, c) == (held.part, held.chunk))
                    .map_or(0, |i| i + 1);
                self.record(parts, through)?;
            }
            let first_in_table = self.seen_table != Some(oid);
            self.seen_table = Some(oid);
            self.progress.start(oid);
            let last = read.events.pop().flatten();
            for (r, event) in read.events.into_iter().enumerate() {
                let marker = marker(false, self.emitted == 0, false, r == 0 && first_in_table);
                self.emit(&table, event, &read.first, marker).await?;
            }
            self.held = Some(Held {
                part,
                chunk,
                event: last,
                row: read.last,
                table,
                oid,
                first_in_table: n == 1 && first_in_table,
            });
        }
        self.unrecorded.push((part, chunk, n as u64));
        self.flush().await?;
        // The held row's chunk is not stored whole yet, nor is any after it.
        let complete = self
            .held
            .as_ref()
            .and_then(|h| {
                self.unrecorded
                    .iter()
                    .position(|&(p, c, _)| (p, c) == (h.part, h.chunk))
            })
            .unwrap_or(self.unrecorded.len());
        self.record(parts, complete)
    }

    /// Writes the last row, records every chunk.
    async fn finish(&mut self, parts: &mut [Part]) -> Result<()> {
        if let Some(held) = self.held.take() {
            let marker = marker(true, self.emitted == 0, true, held.first_in_table);
            self.emit(&held.table, held.event, &held.row, marker)
                .await?;
        }
        self.flush().await?;
        self.record(parts, self.unrecorded.len())?;
        self.progress.done();
        Ok(())
    }

    /// Writes `event` (marked `true`), or, for another `marker`, `row`'s
    /// event marked so.
    async fn emit(
        &mut self,
        table: &Arc<Table>,
        event: Option<Record>,
        row: &Row,
        marker: &'static str,
    ) -> Result<()> {
        let event = if marker == "true" {
            event
        } else {
            self.encoding.event(table, &reader::cells(row), marker)?
        };
        if let Some(event) = event {
            table.events.increment(1);
            self.batch.push(event);
        }
        self.emitted += 1;
        self.progress.row();
        if self.batch.len() >= self.settings.batch_size {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<()> {
        if !self.batch.is_empty() {
            self.sink.write(&self.batch).await?;
            tracing::debug!(total = self.emitted, "events stored");
            self.batch.clear();
        }
        Ok(())
    }

    /// Records the first `count` unrecorded chunks as done.
    fn record(&mut self, parts: &mut [Part], count: usize) -> Result<()> {
        let mut touched = Vec::new();
        for (p, c, n) in self.unrecorded.drain(..count) {
            let part = &mut parts[p];
            part.chunks.rows += n;
            if touched.last() != Some(&p) {
                touched.push(p);
            }
            if c == plan::CATCH_UP {
                continue;
            }
            part.chunks.done = c + 1;
            metrics::counter!(
                SNAPSHOT_CHUNKS,
                "table" => format!("{}.{}", part.table.schema, part.table.name)
            )
            .increment(1);
        }
        for p in touched {
            self.state
                .save_chunks(&parts[p].relation, &parts[p].chunks)?;
        }
        Ok(())
    }
}

/// How the readers turn rows at `point` into events: the slot's position,
/// its catalog xmin as the transaction id, and the time now.
fn encoding(
    settings: &CaptureSettings,
    encoder: &Encoder,
    catalog: &mut Catalog,
    point: &str,
) -> Result<Encoding> {
    let ts_us = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64);
    Ok(Encoding {
        encoder: encoder.clone(),
        position: Position {
            ts_us,
            snapshot: "true",
            last_commit: None,
            lsn: pg_walstream::parse_lsn(point).unwrap_or(0),
            tx_id: catalog.slot(&settings.slot)?.and_then(|s| s.catalog_xmin),
            transaction: None,
        },
        failure: settings.failure_handling,
    })
}

/// Debezium's `source.snapshot` of a row: whether it is the snapshot's
/// last, its first, the last of its table (the next row is of another),
/// the first of its table.
fn marker(last: bool, first: bool, table_ends: bool, first_in_table: bool) -> &'static str {
    match (last, first, table_ends, first_in_table) {
        (true, ..) => "last",
        (_, true, ..) => "first",
        (_, _, true, _) => "last_in_data_collection",
        (_, _, _, true) => "first_in_data_collection",
        _ => "true",
    }
}
