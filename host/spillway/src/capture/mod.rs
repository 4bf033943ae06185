//! `spillway capture`: PostgreSQL's logical replication stream (pgoutput) to
//! Debezium-compatible change events, handed to a sink.
//!
//! Layout:
//! - [`settings`]: Debezium's connector keys; [`catalog`]: the checks, tables,
//!   publication and slot, over ordinary SQL; [`preflight`]: those checks
//!   for `spillway check`, each reported on its own;
//! - [`types`], [`decimal`], [`temporal`], [`unknown`]: PostgreSQL values as
//!   Debezium represents them; [`table`]: a table's columns, key and schemas;
//!   [`naming`]: Debezium's adjustment of schema and field names;
//!   [`event`]: the events' JSON; [`transaction`]: transaction metadata;
//!   [`heartbeat`]: Debezium's heartbeat records; [`message`]: logical
//!   decoding messages as events;
//! - [`snapshot`]: the initial snapshot, read through the slot's exported
//!   snapshot so that it meets the stream without gap or overlap; [`state`]:
//!   the record that it started and completed;
//! - [`stream`]: streaming, batching and acknowledgement; [`transform`]: the
//!   transforms (Debezium's SMTs, as plugins) between capture and the sink;
//!   [`sink`]: where events go: [`kinesis`] or standard output.
//!
//! Delivery: the slot's confirmed position is the offset. Capture tells
//! PostgreSQL a commit's LSN only once the sink has stored every event up to
//! it, so after a crash PostgreSQL resends whatever was not stored: every
//! change is delivered at least once.

mod catalog;
mod decimal;
mod event;
mod failure;
mod heartbeat;
mod kinesis;
mod message;
mod naming;
mod preflight;
mod settings;
mod sink;
mod snapshot;
mod state;
mod stream;
mod table;
mod temporal;
mod transaction;
pub mod transform;
mod types;
mod unknown;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use pg_walstream::{LogicalReplicationStream, ReplicationStreamConfig, RetryConfig};

pub use event::{Operation, Record, VERSION};
pub use failure::FailureHandling;
pub use kinesis::{KinesisSettings, KinesisSink, Oversize};
pub use preflight::check as preflight;
pub use settings::{CaptureSettings, SnapshotMode, other_topics};
pub use sink::{Sink, StdoutFormat, StdoutSink};
pub use table::Table;

use catalog::{Catalog, CatalogTable};
use snapshot::Begin;
use state::{Snapshot, State};

use crate::telemetry::health;

/// What a run of capture did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Rows read by the snapshot.
    pub snapshot_rows: u64,
    /// Events written while streaming (tombstones included).
    pub streamed_events: u64,
}

/// The captured tables by OID: as the catalog described them when capture
/// started (what the snapshot reads), then, for streaming, as each Relation
/// message describes them (see [`Catalog::relation`]).
pub(crate) struct Tables {
    by_oid: HashMap<u32, Arc<Table>>,
    /// The tables whose snapshot events carry more columns than streamed
    /// ones (see [`CatalogTable::snapshot_table`]).
    snapshot: HashMap<u32, Arc<Table>>,
    estimates: HashMap<u32, u64>,
}

impl Tables {
    fn new(tables: Vec<CatalogTable>) -> Self {
        let mut by_oid = HashMap::new();
        let mut snapshot = HashMap::new();
        let mut estimates = HashMap::new();
        for t in tables {
            warn_unsupported(&t);
            estimates.insert(t.oid, t.estimated_rows.unwrap_or(0));
            if !Arc::ptr_eq(&t.snapshot_table, &t.table) {
                snapshot.insert(t.oid, t.snapshot_table);
            }
            by_oid.insert(t.oid, t.table);
        }
        Tables {
            by_oid,
            snapshot,
            estimates,
        }
    }

    fn get(&self, oid: u32) -> Option<&Arc<Table>> {
        self.by_oid.get(&oid)
    }

    /// The table as snapshot events describe it.
    fn for_snapshot(&self, oid: u32) -> Option<&Arc<Table>> {
        self.snapshot.get(&oid).or_else(|| self.get(oid))
    }

    fn by_name(&self, qualified: &str) -> Option<&Arc<Table>> {
        self.by_oid
            .values()
            .find(|t| qualified.split_once('.') == Some((t.schema.as_str(), t.name.as_str())))
    }

    /// Decodes the table's changes from now on with `table`, the definition
    /// a Relation message gave.
    fn define(&mut self, table: CatalogTable) {
        warn_unsupported(&table);
        self.by_oid.insert(table.oid, table.table);
    }
}

fn warn_unsupported(t: &CatalogTable) {
    if !t.unsupported.is_empty() {
        tracing::warn!(
            table = %format!("{}.{}", t.table.schema, t.table.name),
            "columns left out of events, their types are not captured: {}",
            t.unsupported.join(", ")
        );
    }
}

/// How long capture waits for a slot another connection holds: a capture
/// that crashed (kill -9, a lost host) holds it until PostgreSQL notices,
/// at the latest after `wal_sender_timeout` (60 s by default).
const SLOT_WAIT: Duration = Duration::from_secs(90);

/// The slot's state once no other connection streams from it (`Some(None)`
/// when there is no slot); `None` when `shutdown` completed first; an error
/// if another connection still streams from it after [`SLOT_WAIT`].
async fn wait_for_slot<F: Future<Output = ()>>(
    catalog: &mut Catalog,
    name: &str,
    shutdown: &mut Pin<&mut F>,
) -> Result<Option<Option<catalog::SlotState>>> {
    let started = std::time::Instant::now();
    let mut warned = false;
    loop {
        let slot = catalog.slot(name)?;
        let Some(pid) = slot.as_ref().and_then(|s| s.active_pid) else {
            return Ok(Some(slot));
        };
        if started.elapsed() >= SLOT_WAIT {
            bail!(
                "replication slot '{name}' is in use by another connection (walsender pid {pid}), \
                 still after {}s: only one capture may read a slot. Stop the other one, or give \
                 this one its own debezium.source.slot.name",
                SLOT_WAIT.as_secs()
            );
        }
        if !warned {
            warned = true;
            tracing::warn!(
                slot = name,
                "the slot is in use by another connection (walsender pid {pid}): waiting up to \
                 {}s for it to be released (a capture that crashed holds it until PostgreSQL \
                 notices)",
                SLOT_WAIT.as_secs()
            );
        }
        tokio::select! {
            () = shutdown.as_mut() => {
                tracing::info!(slot = name, "stopped while waiting for the slot");
                return Ok(None);
            }
            () = tokio::time::sleep(Duration::from_secs(2)) => {}
        }
    }
}

/// How often capture tries to reach a PostgreSQL that shut down.
const RECONNECT_INTERVAL: Duration = Duration::from_secs(2);

/// Runs capture until `shutdown` completes (or, with `snapshot.mode=initial_only`,
/// until the snapshot is stored). When PostgreSQL shuts down or cannot be
/// reached while streaming, capture lets go of it (see [`stream`]), waits
/// for it as long as it takes (not ready meanwhile) and starts again.
pub async fn run<S: Sink>(
    settings: CaptureSettings,
    sink: &mut S,
    shutdown: impl Future<Output = ()>,
) -> Result<Summary> {
    tokio::pin!(shutdown);
    let mut summary = Summary::default();
    loop {
        let Some((round, server_gone)) = run_once(&settings, sink, &mut shutdown).await? else {
            // Stopped while another connection held the slot: not ours to drop.
            return Ok(summary);
        };
        summary.snapshot_rows += round.snapshot_rows;
        summary.streamed_events += round.streamed_events;
        if !server_gone {
            if settings.drop_slot_on_stop {
                drop_slot_on_stop(&settings).await?;
            }
            return Ok(summary);
        }
        if !wait_for_server(&settings, &mut shutdown).await {
            return Ok(summary);
        }
    }
}

/// `slot.drop.on.stop=true`: drops the slot once the replication connection
/// has let go of it (Debezium's `PostgresConnectorTask` does the same on a
/// clean stop). The next start then takes a new snapshot.
async fn drop_slot_on_stop(settings: &CaptureSettings) -> Result<()> {
    let mut catalog = Catalog::connect(settings)?;
    for _ in 0..50 {
        match catalog.slot(&settings.slot)? {
            None => return Ok(()),
            Some(slot) if slot.active_pid.is_none() => {
                catalog.drop_slot(&settings.slot)?;
                State::open(settings)?.forget()?;
                tracing::info!(
                    slot = %settings.slot,
                    "dropped the replication slot (debezium.source.slot.drop.on.stop=true)"
                );
                return Ok(());
            }
            Some(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    bail!(
        "cannot drop replication slot '{}' on stop (slot.drop.on.stop=true): it is still in \
         use 10 s after capture let go of it; drop it with pg_drop_replication_slot",
        settings.slot
    )
}

/// Waits until PostgreSQL takes connections again; `false` if `shutdown`
/// completed first.
async fn wait_for_server<F: Future<Output = ()>>(
    settings: &CaptureSettings,
    shutdown: &mut Pin<&mut F>,
) -> bool {
    health::starting("capture");
    loop {
        tokio::select! {
            () = shutdown.as_mut() => return false,
            () = tokio::time::sleep(RECONNECT_INTERVAL) => {}
        }
        match Catalog::connect(settings) {
            Ok(_) => {
                tracing::info!("PostgreSQL is back: capture starts again");
                return true;
            }
            Err(e) => tracing::debug!("PostgreSQL is not back yet: {e:#}"),
        }
    }
}

/// One run of capture over one replication connection: until `shutdown`
/// completes (`false`) or the server is gone (`true`); `None` when
/// `shutdown` completed while another connection still held the slot.
async fn run_once<S: Sink, F: Future<Output = ()>>(
    settings: &CaptureSettings,
    sink: &mut S,
    shutdown: &mut Pin<&mut F>,
) -> Result<Option<(Summary, bool)>> {
    health::starting("capture");
    let mut catalog = Catalog::connect(settings)?;
    catalog.check_server()?;
    // Money's text follows the server's lc_monetary: read it as the server writes it.
    let mut learned = settings.clone();
    learned.modes.money_separator = catalog.money_separator()?;
    let settings = &learned;
    let mut tables = catalog.tables(settings)?;
    if tables.is_empty() {
        tracing::warn!(
            "no table matches the include and exclude lists: nothing will be captured until one does"
        );
    }
    catalog.ensure_publication(settings, &tables)?;
    let mut state = State::open(settings)?;

    let Some(slot) = wait_for_slot(&mut catalog, &settings.slot, shutdown).await? else {
        return Ok(None);
    };
    let recorded = state.snapshot()?;
    let begin = match (settings.snapshot_mode, slot.is_some(), &recorded) {
        (SnapshotMode::NoData, ..) => None,
        (_, false, recorded) => {
            let had_slot = match recorded {
                Snapshot::Completed => true,
                Snapshot::InProgress {
                    consistent_point, ..
                } => !consistent_point.is_empty(),
                Snapshot::Unknown => false,
            };
            if had_slot {
                tracing::warn!(
                    slot = %settings.slot,
                    "{} records a snapshot for this slot, but the slot is gone (dropped by \
                     hand, or by slot.drop.on.stop): changes written while it was missing \
                     cannot be streamed, so the snapshot is taken again with a new slot",
                    state.table()
                );
            }
            Some(Begin::NewSlot)
        }
        (SnapshotMode::Always, true, _) => Some(Begin::Again),
        (_, true, Snapshot::Completed) => None,
        (_, true, Snapshot::InProgress { .. }) => Some(Begin::Resume),
        (SnapshotMode::WhenNeeded, true, Snapshot::Unknown) => {
            tracing::warn!(
                slot = %settings.slot,
                "{} records no snapshot for this slot: snapshot.mode=when_needed snapshots \
                 again, then streams the slot's changes (the slot is kept)",
                state.table()
            );
            Some(Begin::Again)
        }
        (_, true, Snapshot::Unknown) => bail!(
            "replication slot '{slot}' exists, but {table} records no snapshot for it: the \
             state table was emptied or dropped, or another tool (Debezium) made the slot. \
             Capture will not guess whether consumers have the rows. Choose one:\n  \
             - the slot's changes continue what consumers already have (a switch from \
             Debezium, or a lost state table): start once with \
             debezium.source.snapshot.mode=no_data to stream from the slot;\n  \
             - snapshot everything again, then stream the slot's changes (nothing is lost, \
             rows arrive again): set debezium.source.snapshot.mode=when_needed or always.",
            slot = settings.slot,
            table = state.table()
        ),
    };
    if settings.snapshot_mode == SnapshotMode::InitialOnly && begin.is_none() {
        tracing::info!("snapshot.mode=initial_only and the snapshot is complete: nothing to do");
        return Ok(Some((Summary::default(), false)));
    }
    if slot.is_none() {
        catalog.check_free_slot()?;
    }
    if begin.is_some() {
        catalog.estimate_rows(&mut tables);
    } else if recorded != Snapshot::Completed {
        // Streamed from without a snapshot (snapshot.mode=no_data): later
        // starts stream on from it.
        state.complete("")?;
    }
    let tables = Tables::new(tables);

    let config = ReplicationStreamConfig::builder(&settings.slot, &settings.publication)
        .with_protocol_version(1)
        .with_messages(true)
        .with_feedback_interval(Duration::from_secs(1))
        // The library's own reconnection (three attempts, each this long at
        // most) covers a brief loss; past it, `run` waits for the server.
        .with_connection_timeout(Duration::from_secs(10))
        .with_retry_config(RetryConfig {
            max_attempts: u32::MAX,
            initial_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            multiplier: 2.0,
            max_duration: Duration::from_secs(7 * 24 * 3600),
            jitter: true,
        });
    let stream = LogicalReplicationStream::new(&settings.conninfo(true), config)
        .await
        .context("cannot open the replication connection")?;

    let encoder = event::Encoder::new(&settings.prefix, &settings.database, settings.schemas);
    let mut summary = Summary::default();
    let horizon = match &recorded {
        Snapshot::InProgress { horizon, .. } => horizon.clone(),
        _ => String::new(),
    };
    let stream = if let Some(begin) = begin {
        let snapshot::Taken::Complete(stream, rows, consistent_point) = snapshot::run(
            stream,
            begin,
            &horizon,
            settings,
            &tables,
            &mut catalog,
            &mut state,
            &encoder,
            sink,
            shutdown,
        )
        .await?
        else {
            return Ok(Some((Summary::default(), false)));
        };
        state.complete(&consistent_point)?;
        summary.snapshot_rows = rows;
        if settings.snapshot_mode == SnapshotMode::InitialOnly {
            return Ok(Some((summary, false)));
        }
        *stream
    } else {
        stream
    };
    let streamed = stream::run(
        stream,
        settings,
        stream::Streaming {
            tables,
            catalog,
            encoder: &encoder,
        },
        sink,
        shutdown,
    )
    .await?;
    summary.streamed_events = streamed.events;
    Ok(Some((summary, streamed.server_gone)))
}
