//! Streaming: pgoutput's transactions to events, gathered in batches for
//! the sink, and the slot's acknowledgement.
//!
//! A commit's end LSN is acknowledged once every event of it (and of every
//! earlier transaction) is stored by the sink. A batch goes to the sink when
//! it is full or when its oldest event waited `batch.window.ms`; a large
//! transaction is written in several batches, and acknowledged at its
//! commit. While nothing arrives, capture writes a logical decoding message
//! every `heartbeat.interval.ms` and acknowledges it when it comes back, so
//! the slot keeps advancing while the captured tables are idle.
//!
//! When PostgreSQL shuts down, its walsender may wait for the slot to
//! confirm the shutdown checkpoint, which no commit reaches; capture notices
//! the shutdown on its plain connection (heartbeat or lag sample), stores what
//! it holds and closes the replication connection, so that the server can
//! stop. When the replication connection is lost for longer than the
//! replication library's own retries, streaming ends the same way, without
//! storing the unacknowledged events it holds (PostgreSQL sends them again).
//! Either way the caller starts again once the server is back.
//!
//! Lag is kept in two metrics: seconds from a transaction's commit to its
//! storing, and the slot's distance in WAL bytes from PostgreSQL's current
//! position (sampled every [`LAG_SAMPLE_INTERVAL`]).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use futures_util::StreamExt;
use pg_walstream::{
    CancellationToken, ChangeEvent, EventStream, EventType, LogicalReplicationStream, RowData,
};

use super::Tables;
use super::catalog::{Catalog, Relation};
use super::event::{Encoder, Op, Position, Record, cells};
use super::heartbeat::Heartbeats;
use super::message::Messages;
use super::settings::CaptureSettings;
use super::sink::Sink;
use super::table::{Cell, Table};
use super::transaction::{self, Tracker};
use crate::telemetry::{health, metrics as names};

/// How often the slot's lag in bytes is read from PostgreSQL.
const LAG_SAMPLE_INTERVAL: Duration = Duration::from_secs(5);

/// The SQLSTATEs of a server going away: admin_shutdown (also a session
/// ended by `pg_terminate_backend`), crash_shutdown, cannot_connect_now.
const GOING_AWAY: [&str; 3] = ["[57P01]", "[57P02]", "[57P03]"];

/// How streaming ended.
pub struct Streamed {
    /// Events written (tombstones included).
    pub events: u64,
    /// Whether it ended because PostgreSQL shut down or could not be reached,
    /// rather than because capture was asked to stop.
    pub server_gone: bool,
}

/// The transaction being read.
#[derive(Clone, Copy)]
struct Transaction {
    xid: u32,
    ts_us: i64,
}

/// What streaming works with besides the stream and the sink.
pub struct Streaming<'a> {
    /// The captured tables.
    pub tables: Tables,
    /// A plain connection: heartbeats, and the catalog when a table changes.
    pub catalog: Catalog,
    /// Writes the events.
    pub encoder: &'a Encoder,
}

/// The streaming loop's state.
struct Streamer<'a, S: Sink> {
    settings: &'a CaptureSettings,
    tables: Tables,
    catalog: Option<Catalog>,
    encoder: &'a Encoder,
    last_heartbeat: Instant,
    last_lag_sample: Option<Instant>,
    lag_bytes: metrics::Gauge,
    lag_seconds: metrics::Gauge,
    /// Transaction metadata, when `provide.transaction.metadata` is on.
    tracker: Option<Tracker>,
    /// Debezium heartbeat records, when `heartbeat.interval.ms` is set.
    heartbeats: Option<Heartbeats>,
    /// Which logical decoding messages become events.
    messages: Messages,
    sink: &'a mut S,
    batch: Vec<Record>,
    oldest: Option<Instant>,
    /// The end LSN of the last commit whose events are all in `batch` or stored.
    committed: Option<u64>,
    /// The commit time (µs since the epoch) of that commit, if it was one.
    committed_at_us: Option<i64>,
    transaction: Option<Transaction>,
    last_commit: Option<u64>,
    written: u64,
    /// The plain connection said PostgreSQL is shutting down.
    server_stopping: bool,
}

/// Streams from the slot's confirmed position until `shutdown` completes,
/// PostgreSQL shuts down, or the replication connection is lost for good.
pub async fn run<S: Sink, F: Future<Output = ()>>(
    mut stream: LogicalReplicationStream,
    settings: &CaptureSettings,
    context: Streaming<'_>,
    sink: &mut S,
    shutdown: &mut Pin<&mut F>,
) -> Result<Streamed> {
    stream
        .start(None)
        .await
        .context("cannot start streaming from the replication slot")?;
    tracing::info!(slot = %settings.slot, "streaming");
    health::ready("capture");
    let mut events = stream.into_stream(CancellationToken::new());
    let mut streamer = Streamer {
        settings,
        tables: context.tables,
        catalog: Some(context.catalog),
        encoder: context.encoder,
        last_heartbeat: Instant::now(),
        last_lag_sample: None,
        lag_bytes: metrics::gauge!(names::CAPTURE_LAG_BYTES),
        lag_seconds: metrics::gauge!(names::CAPTURE_LAG_SECONDS),
        tracker: settings
            .transaction_metadata
            .then(|| Tracker::new(&settings.prefix, settings.schemas)),
        messages: Messages::new(
            &settings.prefix,
            settings.message_include.clone(),
            settings.message_exclude.clone(),
            settings.modes.binary,
            settings.schemas,
        ),
        heartbeats: Heartbeats::new(
            settings.heartbeat_records,
            &settings.heartbeat_topic_prefix,
            &settings.prefix,
            settings.schemas,
        ),
        sink,
        batch: Vec::with_capacity(settings.batch_size),
        oldest: None,
        committed: None,
        committed_at_us: None,
        transaction: None,
        last_commit: None,
        written: 0,
        server_stopping: false,
    };
    loop {
        let wait = streamer.oldest.map_or(Duration::from_secs(1), |t| {
            settings.batch_window.saturating_sub(t.elapsed())
        });
        let next = tokio::select! {
            () = shutdown.as_mut() => break,
            next = tokio::time::timeout(wait, events.next()) => next,
        };
        match next {
            Err(_) if !streamer.batch.is_empty() => streamer.flush(&events).await?,
            Err(_) => {
                if streamer.last_heartbeat.elapsed() >= settings.heartbeat_interval {
                    streamer.last_heartbeat = Instant::now();
                    streamer.heartbeat();
                }
                streamer.sample_lag_bytes();
                if streamer.server_stopping {
                    break;
                }
            }
            Ok(None) => bail!("the replication stream ended"),
            Ok(Some(Err(e))) if e.is_transient() => {
                tracing::warn!(
                    held = streamer.batch.len(),
                    "lost the replication connection: {e}; capture reconnects when PostgreSQL \
                     is back, which sends the events held here again"
                );
                return Ok(Streamed {
                    events: streamer.written,
                    server_gone: true,
                });
            }
            Ok(Some(Err(e))) => return Err(e).context("replication failed"),
            Ok(Some(Ok(event))) => streamer.handle(event, &events).await?,
        }
        streamer.beat();
    }
    streamer.flush(&events).await?;
    if streamer.server_stopping {
        tracing::warn!(
            events = streamer.written,
            "PostgreSQL is shutting down: capture stored what it held and closes its replication \
             connection so that the server can stop; it reconnects when the server is back"
        );
    } else {
        tracing::info!(events = streamer.written, "capture stopping");
    }
    if let Err(e) = events.shutdown().await {
        tracing::warn!("closing the replication connection: {e}");
    }
    Ok(Streamed {
        events: streamer.written,
        server_gone: streamer.server_stopping,
    })
}

/// Whether `error` says PostgreSQL is shutting down (see [`GOING_AWAY`]).
fn going_away(error: &anyhow::Error) -> bool {
    let text = format!("{error:#}");
    GOING_AWAY.iter().any(|state| text.contains(state))
}

impl<S: Sink> Streamer<'_, S> {
    async fn flush(&mut self, events: &EventStream) -> Result<()> {
        if !self.batch.is_empty() {
            self.sink.write(&self.batch).await?;
            self.written += self.batch.len() as u64;
            tracing::debug!(total = self.written, "events stored");
            self.batch.clear();
            self.oldest = None;
        }
        if let Some(lsn) = self.committed.take() {
            events.update_applied_lsn(lsn);
        }
        if let Some(commit_us) = self.committed_at_us.take() {
            let now_us = chrono::Utc::now().timestamp_micros();
            self.lag_seconds
                .set((now_us - commit_us).max(0) as f64 / 1_000_000.0);
        }
        self.sample_lag_bytes();
        Ok(())
    }

    /// Reads how far the slot's confirmed position is behind PostgreSQL's
    /// WAL into the lag metric, at most every [`LAG_SAMPLE_INTERVAL`] (it is
    /// called per batch and per idle second, never per event); a failure
    /// only costs a sample, unless it says the server is shutting down.
    fn sample_lag_bytes(&mut self) {
        if self
            .last_lag_sample
            .is_some_and(|t| t.elapsed() < LAG_SAMPLE_INTERVAL)
        {
            return;
        }
        self.last_lag_sample = Some(Instant::now());
        let slot = &self.settings.slot;
        match self.catalog().and_then(|c| c.slot_lag_bytes(slot)) {
            Ok(Some(bytes)) => self.lag_bytes.set(bytes as f64),
            Ok(None) => {}
            Err(e) => {
                tracing::debug!("cannot read the slot's lag: {e:#}");
                self.server_stopping |= going_away(&e);
                self.catalog = None;
            }
        }
    }

    /// Writes a heartbeat message; a failure is logged and the connection
    /// opened again at the next heartbeat, unless it says the server is
    /// shutting down.
    fn heartbeat(&mut self) {
        let result = match &mut self.catalog {
            Some(catalog) => catalog.heartbeat(),
            None => Catalog::connect(self.settings).and_then(|mut catalog| {
                catalog.heartbeat()?;
                self.catalog = Some(catalog);
                Ok(())
            }),
        };
        if let Err(e) = result {
            if going_away(&e) {
                self.server_stopping = true;
            } else {
                tracing::warn!("heartbeat failed, will try again: {e:#}");
            }
            self.catalog = None;
        }
    }

    /// Adds a Debezium heartbeat record to the batch when one is due, and
    /// runs `heartbeat.action.query` with it; a failing query is logged.
    fn beat(&mut self) {
        let Some(record) = self.heartbeats.as_mut().and_then(Heartbeats::due) else {
            return;
        };
        self.push(record);
        if let Some(query) = &self.settings.heartbeat_action_query {
            let query = query.clone();
            if let Err(e) = self.catalog().and_then(|c| c.execute(&query)) {
                tracing::warn!("heartbeat.action.query failed, capture goes on: {e:#}");
                self.catalog = None;
            }
        }
    }

    /// The catalog connection, opened again if it was lost.
    fn catalog(&mut self) -> Result<&mut Catalog> {
        if self.catalog.is_none() {
            self.catalog = Some(Catalog::connect(self.settings)?);
        }
        Ok(self.catalog.as_mut().expect("just connected"))
    }

    fn push(&mut self, record: Record) {
        self.oldest.get_or_insert_with(Instant::now);
        self.batch.push(record);
    }

    fn skipped(&self, op: char) -> bool {
        self.settings.skipped.contains(&op)
    }

    async fn handle(&mut self, event: ChangeEvent, events: &EventStream) -> Result<()> {
        let lsn = event.lsn.value();
        match event.event_type {
            EventType::Begin {
                transaction_id,
                commit_timestamp,
                ..
            } => {
                self.transaction = Some(Transaction {
                    xid: transaction_id,
                    ts_us: commit_timestamp.timestamp_micros(),
                });
            }
            EventType::Commit {
                commit_lsn,
                end_lsn,
                ..
            } => {
                if let (Some(tracker), Some(tx)) = (&mut self.tracker, self.transaction)
                    && let Some(end) = tracker.commit(tx.xid, commit_lsn.value(), tx.ts_us / 1000)
                {
                    self.push(end);
                }
                self.committed_at_us = self.transaction.take().map(|t| t.ts_us);
                self.last_commit = Some(commit_lsn.value());
                self.committed = Some(end_lsn.value());
                if self.batch.is_empty() || self.batch.len() >= self.settings.batch_size {
                    self.flush(events).await?;
                }
            }
            EventType::Insert {
                relation_oid, data, ..
            } => {
                if let Some(table) = self.tables.get(relation_oid).cloned()
                    && !self.skipped('c')
                {
                    let position = self.position(lsn);
                    let after = cells(&table, &data);
                    self.change(&table, Op::Create, None, Some(&after), &position)?;
                }
            }
            EventType::Update {
                relation_oid,
                old_data,
                new_data,
                ..
            } => {
                if let Some(table) = self.tables.get(relation_oid).cloned() {
                    self.update(&table, old_data.as_ref(), &new_data, lsn)?;
                }
            }
            EventType::Delete {
                relation_oid,
                old_data,
                ..
            } => {
                if let Some(table) = self.tables.get(relation_oid).cloned() {
                    let position = self.position(lsn);
                    let before = cells(&table, &old_data);
                    self.delete(&table, &before, &position)?;
                }
            }
            EventType::Truncate { tables, .. } if !self.skipped('t') => {
                let position = self.position(lsn);
                for name in tables {
                    if let Some(table) = self.tables.by_name(&name).cloned() {
                        self.change(&table, Op::Truncate, None, None, &position)?;
                    }
                }
            }
            EventType::Message {
                message_lsn,
                prefix,
                content,
                ..
            } => {
                let lsn = message_lsn.value();
                if self.messages.accepts(&prefix) {
                    let mut position = self.position(lsn);
                    if self.transaction.is_none() {
                        position.ts_us = chrono::Utc::now().timestamp_micros();
                    }
                    self.place(|| transaction::message_collection(lsn), &mut position);
                    let record = self
                        .messages
                        .event(self.encoder, &prefix, &content, &position);
                    self.push(record);
                }
                if self.transaction.is_none() {
                    // Outside a transaction (ours are heartbeats): every
                    // transaction that committed before it has been received.
                    self.committed = Some(lsn);
                    if self.batch.is_empty() {
                        self.flush(events).await?;
                    }
                }
            }
            EventType::Relation {
                relation_id,
                namespace,
                relation_name,
                columns,
                ..
            } => self.relation(&Relation {
                oid: relation_id,
                schema: &namespace,
                name: &relation_name,
                columns: &columns,
            })?,
            _ => {}
        }
        if self.batch.len() >= self.settings.batch_size {
            self.flush(events).await?;
        }
        Ok(())
    }

    /// With transaction metadata on and a transaction being read: counts an
    /// event of the data collection `name` names in it, sets `position`'s
    /// block, and writes the BEGIN event before the transaction's first.
    /// (`name` is called only then: without metadata, nothing is formatted
    /// per event.)
    fn place(&mut self, name: impl FnOnce() -> String, position: &mut Position) {
        if let (Some(tracker), Some(tx)) = (&mut self.tracker, self.transaction) {
            let (begin, block) = tracker.change(name(), tx.xid, position.lsn, tx.ts_us / 1000);
            position.transaction = Some(block);
            if let Some(begin) = begin {
                self.push(begin);
            }
        }
    }

    /// A Relation message: the definition the table's changes that follow
    /// were written with, from now on the one they are decoded with (see
    /// [`Catalog::relation`]). PostgreSQL sends one before a table's first
    /// change in a session and after every change of its definition or of
    /// what the catalog says of it (a NOT NULL, a default, a key), so the
    /// catalog is read at each one, as Debezium reads it.
    fn relation(&mut self, message: &Relation<'_>) -> Result<()> {
        if !self.settings.filters.table(message.schema, message.name) {
            return Ok(());
        }
        let settings = self.settings;
        let table = self.catalog()?.relation(settings, message)?;
        if self.tables.get(message.oid).is_some_and(|known| {
            known.key != table.table.key || known.envelope_schema != table.table.envelope_schema
        }) {
            tracing::info!(
                table = %format!("{}.{}", message.schema, message.name),
                "table definition changed: the changes from here on are decoded with it"
            );
        }
        self.tables.define(table);
        Ok(())
    }

    fn position(&self, lsn: u64) -> Position {
        Position {
            ts_us: self.transaction.map_or(0, |t| t.ts_us),
            snapshot: "false",
            last_commit: self.last_commit,
            lsn,
            tx_id: self.transaction.map(|t| t.xid),
            transaction: None,
        }
    }

    fn change(
        &mut self,
        table: &Arc<Table>,
        op: Op,
        before: Option<&[Cell<'_>]>,
        after: Option<&[Cell<'_>]>,
        position: &Position,
    ) -> Result<bool> {
        let mut position = *position;
        self.place(|| format!("{}.{}", table.schema, table.name), &mut position);
        let record = self.encoder.change(table, op, before, after, &position);
        match self
            .settings
            .failure_handling
            .apply(record, table, position.lsn)?
        {
            Some(record) => {
                table.events.increment(1);
                self.push(record);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn delete(
        &mut self,
        table: &Arc<Table>,
        before: &[Cell<'_>],
        position: &Position,
    ) -> Result<()> {
        if self.skipped('d') {
            return Ok(());
        }
        let written = self.change(table, Op::Delete, Some(before), None, position)?;
        // A keyless table's delete is followed by a tombstone too (its key
        // null), as Debezium writes it.
        if written && self.settings.tombstones {
            let tombstone = self.encoder.tombstone(table, before, position.lsn);
            if let Some(tombstone) =
                self.settings
                    .failure_handling
                    .apply(tombstone, table, position.lsn)?
            {
                self.push(tombstone);
            }
        }
        Ok(())
    }

    /// An update; one that changes the primary key is, as in Debezium, a
    /// delete of the old key (with its tombstone) and a create of the new.
    fn update(
        &mut self,
        table: &Arc<Table>,
        old: Option<&RowData>,
        new: &RowData,
        lsn: u64,
    ) -> Result<()> {
        let position = self.position(lsn);
        let mut after = cells(table, new);
        let before = old.map(|old| cells(table, old));
        if let Some(before) = &before {
            // Under REPLICA IDENTITY FULL the old row carries the TOASTed
            // values the change left alone, which the new row does not:
            // Debezium writes them (an old key-only row has no such values).
            for (new, old) in after.iter_mut().zip(before) {
                if *new == Cell::Absent && matches!(old, Cell::Text(_)) {
                    *new = *old;
                }
            }
        }
        if let Some(before) = &before
            && !table.same_key(before, &after)
        {
            self.delete(table, before, &position)?;
            if !self.skipped('c') {
                self.change(table, Op::Create, None, Some(&after), &position)?;
            }
            return Ok(());
        }
        if self.skipped('u') {
            return Ok(());
        }
        // Under REPLICA IDENTITY DEFAULT, PostgreSQL sends no old row unless
        // the key changed; Debezium's `before` is then null.
        self.change(
            table,
            Op::Update,
            before.as_deref(),
            Some(&after),
            &position,
        )?;
        Ok(())
    }
}
