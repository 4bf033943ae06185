//! The initial snapshot: the slot is created with an exported snapshot, the
//! captured tables are copied in that snapshot (pg_walstream's managed
//! snapshot), and streaming then starts at the slot's consistent point, so
//! every row is either in the copy or in the stream, never both, never
//! neither. Rows become `op: r` events with Debezium's snapshot markers;
//! progress is logged per table, and kept in the snapshot metrics. A
//! shutdown stops the copy between two rows; the snapshot is recorded as
//! interrupted, so the next start takes it again.

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use pg_walstream::{LogicalReplicationStream, SnapshotOutcome, SnapshotRow};

use super::Tables;
use super::catalog::Catalog;
use super::event::{Encoder, Op, Position, Record, cells};
use super::settings::CaptureSettings;
use super::sink::Sink;
use crate::telemetry::metrics::{SNAPSHOT_ROWS, SNAPSHOT_ROWS_ESTIMATED};

/// How many rows go by between updates of the rows-copied metric.
const METRIC_EVERY: u64 = 1024;

/// How a snapshot ended.
pub enum Taken {
    /// Every row was stored: the stream, ready to start where the snapshot
    /// ends, the number of rows, and the consistent point.
    Complete(Box<LogicalReplicationStream>, u64, String),
    /// `shutdown` completed first.
    Stopped,
}

/// Copies the captured tables through a new slot's exported snapshot and
/// writes them to `sink`, until done or until `shutdown` completes.
pub async fn run<S: Sink, F: Future<Output = ()>>(
    stream: LogicalReplicationStream,
    settings: &CaptureSettings,
    tables: &Tables,
    catalog: &mut Catalog,
    encoder: &Encoder,
    sink: &mut S,
    shutdown: &mut Pin<&mut F>,
) -> Result<Taken> {
    let mut snapshot = match stream
        .snapshot()
        .await
        .context("cannot create the slot and its snapshot")?
    {
        SnapshotOutcome::Available(snapshot) => snapshot,
        SnapshotOutcome::Unavailable(_) => bail!(
            "replication slot '{}' appeared while capture was starting: is another capture \
             running with this slot?",
            settings.slot
        ),
    };
    let captured: HashSet<u32> = tables.by_oid.keys().copied().collect();
    snapshot.retain_tables(|t| captured.contains(&t.relation().relation_id));
    let consistent_point = snapshot.consistent_point();
    let tx_id = catalog.slot(&settings.slot)?.and_then(|s| s.catalog_xmin);
    tracing::info!(
        tables = snapshot.tables().len(),
        lsn = %consistent_point,
        "snapshot started"
    );
    crate::telemetry::health::ready("capture");
    let ts_us = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64);
    let mut rows = snapshot.rows();
    let mut progress = Progress::new(settings, tables);
    let mut batch: Vec<Record> = Vec::with_capacity(settings.batch_size);
    // Markers need to know whether a row is the last of its table, so each
    // row is held until the next one arrives.
    let mut held: Option<(SnapshotRow, bool)> = None;
    let mut first_overall = true;
    let mut count = 0u64;
    loop {
        let next = tokio::select! {
            biased;
            () = shutdown.as_mut() => {
                tracing::warn!(
                    rows = count,
                    "stopping during the snapshot: the next start takes it again (the slot is \
                     dropped and created anew)"
                );
                return Ok(Taken::Stopped);
            }
            next = rows.next_row() => next.context("snapshot failed")?,
        };
        if let Some((row, first_in_table)) = held.take() {
            let same_table = next
                .as_ref()
                .is_some_and(|n| n.relation.relation_id == row.relation.relation_id);
            let marker = match (next.is_none(), first_overall, !same_table, first_in_table) {
                (true, _, _, _) => "last",
                (_, true, _, _) => "first",
                (_, _, true, _) => "last_in_data_collection",
                (_, _, _, true) => "first_in_data_collection",
                _ => "true",
            };
            first_overall = false;
            let table = tables
                .get(row.relation.relation_id)
                .context("snapshot returned a table that is not captured")?;
            let position = Position {
                ts_us,
                snapshot: marker,
                last_commit: None,
                lsn: row.lsn.value(),
                tx_id,
                transaction: None,
            };
            let cells = cells(table, &row.data);
            let record = encoder.change(table, Op::Read, None, Some(&cells), &position);
            if let Some(record) = settings
                .failure_handling
                .apply(record, table, position.lsn)?
            {
                batch.push(record);
            }
            count += 1;
            progress.row();
            if batch.len() >= settings.batch_size {
                sink.write(&batch).await?;
                tracing::debug!(total = count, "events stored");
                batch.clear();
            }
        }
        match next {
            Some(row) => {
                let first_in_table = progress.current != Some(row.relation.relation_id);
                progress.start(row.relation.relation_id);
                held = Some((row, first_in_table));
            }
            None => break,
        }
    }
    if !batch.is_empty() {
        sink.write(&batch).await?;
        tracing::debug!(total = count, "events stored");
    }
    let stream = rows.finish().await.context("cannot finish the snapshot")?;
    progress.done();
    Ok(Taken::Complete(
        Box::new(stream),
        count,
        consistent_point.to_string(),
    ))
}

/// Per-table snapshot progress, logged at a steady interval and kept in
/// the rows-copied metric.
struct Progress<'a> {
    tables: &'a Tables,
    interval: std::time::Duration,
    current: Option<u32>,
    copied: metrics::Gauge,
    rows: u64,
    started: Instant,
    last_log: Instant,
    total: u64,
    begun: Instant,
}

impl<'a> Progress<'a> {
    fn new(settings: &CaptureSettings, tables: &'a Tables) -> Self {
        for (oid, table) in &tables.by_oid {
            let name = format!("{}.{}", table.schema, table.name);
            let estimate = tables.estimates.get(oid).copied().unwrap_or(0);
            metrics::gauge!(SNAPSHOT_ROWS_ESTIMATED, "table" => name.clone()).set(estimate as f64);
            metrics::gauge!(SNAPSHOT_ROWS, "table" => name).set(0.0);
        }
        let now = Instant::now();
        Progress {
            tables,
            interval: settings.progress_interval,
            current: None,
            copied: metrics::Gauge::noop(),
            rows: 0,
            started: now,
            last_log: now,
            total: 0,
            begun: now,
        }
    }

    fn start(&mut self, oid: u32) {
        if self.current != Some(oid) {
            self.finish_table();
            self.current = Some(oid);
            self.copied = match self.tables.get(oid) {
                Some(t) => {
                    metrics::gauge!(SNAPSHOT_ROWS, "table" => format!("{}.{}", t.schema, t.name))
                }
                None => metrics::Gauge::noop(),
            };
            self.rows = 0;
            self.started = Instant::now();
        }
    }

    fn row(&mut self) {
        self.rows += 1;
        self.total += 1;
        if self.rows.is_multiple_of(METRIC_EVERY) {
            self.copied.set(self.rows as f64);
        }
        if self.last_log.elapsed() >= self.interval {
            self.last_log = Instant::now();
            self.log(false);
        }
    }

    fn log(&self, finished: bool) {
        let Some(oid) = self.current else { return };
        let Some(table) = self.tables.get(oid) else {
            return;
        };
        let estimate = self
            .tables
            .estimates
            .get(&oid)
            .copied()
            .unwrap_or(0)
            .max(self.rows);
        let seconds = self.started.elapsed().as_secs_f64().max(0.001);
        let rate = self.rows as f64 / seconds;
        let left = if rate > 0.0 {
            (estimate - self.rows) as f64 / rate
        } else {
            0.0
        };
        tracing::info!(
            table = %format!("{}.{}", table.schema, table.name),
            rows = self.rows,
            estimate,
            percent = format!("{:.1}", 100.0 * self.rows as f64 / estimate.max(1) as f64),
            rows_per_s = rate as u64,
            seconds_left = if finished { 0 } else { left.ceil() as u64 },
            "{}",
            if finished { "snapshot of table done" } else { "snapshot progress" }
        );
    }

    fn finish_table(&mut self) {
        if self.current.is_some() {
            self.copied.set(self.rows as f64);
            self.log(true);
        }
    }

    fn done(&mut self) {
        self.finish_table();
        tracing::info!(
            rows = self.total,
            seconds = format!("{:.1}", self.begun.elapsed().as_secs_f64()),
            "snapshot complete"
        );
    }
}
