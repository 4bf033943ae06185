//! Snapshot progress, per table and overall: logged at a steady interval
//! (rows, estimate, percent, rate, seconds left) and kept in the snapshot
//! metrics (rows copied per table, seconds left overall).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::super::Tables;
use crate::telemetry::metrics::{SNAPSHOT_ROWS, SNAPSHOT_ROWS_ESTIMATED, SNAPSHOT_SECONDS_LEFT};

/// How many rows go by between updates of the rows-copied metric.
const METRIC_EVERY: u64 = 1024;

/// The snapshot's progress.
pub struct Progress<'a> {
    tables: &'a Tables,
    interval: Duration,
    /// Rows of each table stored before this run (a resumed snapshot).
    earlier: HashMap<u32, u64>,
    current: Option<u32>,
    copied: metrics::Gauge,
    /// Rows of the current table, this run and earlier ones.
    rows: u64,
    /// Rows of the current table this run, since `started`.
    rows_now: u64,
    started: Instant,
    last_log: Instant,
    /// Rows this run, all tables.
    total: u64,
    /// Rows of every table together, estimated, less those stored earlier.
    total_estimate: u64,
    seconds_left: metrics::Gauge,
    begun: Instant,
}

impl<'a> Progress<'a> {
    /// Progress over `tables`, of which `earlier` rows were stored by an
    /// earlier run, logged every `interval`.
    pub fn new(tables: &'a Tables, interval: Duration, earlier: HashMap<u32, u64>) -> Self {
        let mut total_estimate = 0;
        for (oid, table) in &tables.by_oid {
            let name = format!("{}.{}", table.schema, table.name);
            let estimate = tables.estimates.get(oid).copied().unwrap_or(0);
            let before = earlier.get(oid).copied().unwrap_or(0);
            total_estimate += estimate.saturating_sub(before);
            metrics::gauge!(SNAPSHOT_ROWS_ESTIMATED, "table" => name.clone()).set(estimate as f64);
            metrics::gauge!(SNAPSHOT_ROWS, "table" => name).set(before as f64);
        }
        let now = Instant::now();
        Progress {
            tables,
            interval,
            earlier,
            current: None,
            copied: metrics::Gauge::noop(),
            rows: 0,
            rows_now: 0,
            started: now,
            last_log: now,
            total: 0,
            total_estimate,
            seconds_left: metrics::gauge!(SNAPSHOT_SECONDS_LEFT),
            begun: now,
        }
    }

    /// The next row is of table `oid`.
    pub fn start(&mut self, oid: u32) {
        if self.current != Some(oid) {
            self.finish_table();
            self.current = Some(oid);
            self.copied = match self.tables.get(oid) {
                Some(t) => {
                    metrics::gauge!(SNAPSHOT_ROWS, "table" => format!("{}.{}", t.schema, t.name))
                }
                None => metrics::Gauge::noop(),
            };
            self.rows = self.earlier.get(&oid).copied().unwrap_or(0);
            self.rows_now = 0;
            self.started = Instant::now();
        }
    }

    /// A row of the current table was written.
    pub fn row(&mut self) {
        self.rows += 1;
        self.rows_now += 1;
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
        let rate = self.rows_now as f64 / self.started.elapsed().as_secs_f64().max(0.001);
        let left = if rate > 0.0 && !finished {
            (estimate - self.rows) as f64 / rate
        } else {
            0.0
        };
        let overall_rate = self.total as f64 / self.begun.elapsed().as_secs_f64().max(0.001);
        let overall_estimate = self.total_estimate.max(self.total);
        let overall_left = if overall_rate > 0.0 {
            (overall_estimate - self.total) as f64 / overall_rate
        } else {
            0.0
        };
        self.seconds_left.set(overall_left.ceil());
        tracing::info!(
            table = %format!("{}.{}", table.schema, table.name),
            rows = self.rows,
            estimate,
            percent = format!("{:.1}", 100.0 * self.rows as f64 / estimate.max(1) as f64),
            rows_per_s = rate as u64,
            seconds_left = left.ceil() as u64,
            overall_percent = format!(
                "{:.1}",
                100.0 * self.total as f64 / overall_estimate.max(1) as f64
            ),
            overall_seconds_left = overall_left.ceil() as u64,
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

    /// Every row was written.
    pub fn done(&mut self) {
        self.finish_table();
        self.seconds_left.set(0.0);
        tracing::info!(
            rows = self.total,
            seconds = format!("{:.1}", self.begun.elapsed().as_secs_f64()),
            rows_per_s = (self.total as f64 / self.begun.elapsed().as_secs_f64().max(0.001)) as u64,
            "snapshot complete"
        );
    }
}
