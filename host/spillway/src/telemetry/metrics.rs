//! The metrics Spillway records, by name, with their meaning. Stages record
//! them with the `metrics` macros under these names; [`install`] registers
//! the Prometheus recorder and the descriptions.

use std::sync::atomic::{AtomicU64, Ordering};

use metrics::{Counter, describe_counter, describe_gauge};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

/// Change events capture read, per table (`table` = `schema.table`): snapshot
/// reads and streamed changes.
pub const CAPTURE_EVENTS: &str = "spillway_capture_events_total";
/// Change events capture could not write and left out, per table
/// (`event.processing.failure.handling.mode` `warn` or `skip`).
pub const CAPTURE_SKIPPED: &str = "spillway_capture_events_skipped_total";
/// Rows the snapshot copied so far, per table.
pub const SNAPSHOT_ROWS: &str = "spillway_capture_snapshot_rows";
/// PostgreSQL's estimate of each table's rows, when its snapshot started.
pub const SNAPSHOT_ROWS_ESTIMATED: &str = "spillway_capture_snapshot_rows_estimated";
/// Seconds the snapshot still needs at its current rate, all tables together.
pub const SNAPSHOT_SECONDS_LEFT: &str = "spillway_capture_snapshot_seconds_left";
/// Snapshot chunks stored (and recorded in the state table), per table.
pub const SNAPSHOT_CHUNKS: &str = "spillway_capture_snapshot_chunks_total";
/// WAL bytes between PostgreSQL's current position and the slot's confirmed one.
pub const CAPTURE_LAG_BYTES: &str = "spillway_capture_lag_bytes";
/// Seconds between the last stored transaction's commit and its storing.
pub const CAPTURE_LAG_SECONDS: &str = "spillway_capture_lag_seconds";
/// Records the sink stored, per destination (Kinesis stream, or `stdout`).
pub const DELIVERED: &str = "spillway_delivered_records_total";
/// Kinesis records forward read.
pub const FORWARD_RECORDS: &str = "spillway_forward_records_total";
/// Events forward published to EventBridge.
pub const FORWARDED: &str = "spillway_forwarded_events_total";
/// How far behind the newest record each shard's reader is (Kinesis'
/// MillisBehindLatest, in seconds), per stream and shard.
pub const FORWARD_LAG_SECONDS: &str = "spillway_forward_lag_seconds";
/// Batches forward gave up on after `spillway.forward.retry.attempts`.
pub const FORWARD_GIVEN_UP: &str = "spillway_forward_given_up_batches_total";
/// Records forward gave up on, per `reason`: `permanent` (no retry can fix
/// them) or `retries_exhausted`.
pub const FORWARD_SKIPPED_RECORDS: &str = "spillway_forward_skipped_records_total";
/// Age of the oldest record read from a shard and not yet forwarded, per
/// `stream` and `shard` (0 when none waits).
pub const FORWARD_PENDING_AGE_SECONDS: &str = "spillway_forward_pending_age_seconds";
/// Streams found deleted and re-created since their checkpoints were taken, per `stream`.
pub const FORWARD_REPLACED_STREAMS: &str = "spillway_forward_replaced_streams_total";
/// Messages consume received.
pub const CONSUME_RECEIVED: &str = "spillway_consume_received_messages_total";
/// Messages consume settled, per `outcome`: ack, retry, reject, failed
/// (the plugin trapped, timed out or answered wrongly) or released.
pub const CONSUMED: &str = "spillway_consumed_messages_total";
/// Age of the newest message of the last receive (now minus SQS'
/// SentTimestamp), in seconds.
pub const CONSUME_LAG_SECONDS: &str = "spillway_consume_lag_seconds";
/// Calls or batches retried, per `stage` and `operation`.
pub const RETRIES: &str = "spillway_retries_total";

/// Installs the Prometheus recorder for this process; its handle renders
/// the metrics. Call once, before the stages start.
pub fn install() -> anyhow::Result<PrometheusHandle> {
    let handle = PrometheusBuilder::new()
        .install_recorder()
        .map_err(|e| anyhow::anyhow!("cannot install the metrics recorder: {e}"))?;
    describe_counter!(
        CAPTURE_EVENTS,
        "Change events read from PostgreSQL, per table."
    );
    describe_counter!(
        CAPTURE_SKIPPED,
        "Change events capture could not write and left out (event.processing.failure.handling.mode), per table."
    );
    describe_gauge!(SNAPSHOT_ROWS, "Rows the snapshot has copied, per table.");
    describe_gauge!(
        SNAPSHOT_ROWS_ESTIMATED,
        "PostgreSQL's estimate of each table's rows when the snapshot started."
    );
    describe_gauge!(
        SNAPSHOT_SECONDS_LEFT,
        "Seconds the snapshot still needs at its current rate, all tables together."
    );
    describe_counter!(
        SNAPSHOT_CHUNKS,
        "Snapshot chunks stored and recorded as done, per table."
    );
    describe_gauge!(
        CAPTURE_LAG_BYTES,
        "WAL bytes between PostgreSQL's current position and the slot's confirmed position."
    );
    describe_gauge!(
        CAPTURE_LAG_SECONDS,
        "Seconds from the last stored transaction's commit to its storing."
    );
    describe_counter!(DELIVERED, "Records the sink stored, per destination.");
    describe_counter!(FORWARD_RECORDS, "Kinesis records read by forward.");
    describe_counter!(FORWARDED, "Events published to EventBridge.");
    describe_gauge!(
        FORWARD_LAG_SECONDS,
        "Seconds between each shard's newest record and the last one read."
    );
    describe_counter!(
        FORWARD_GIVEN_UP,
        "Parts of batches given up on (after spillway.forward.retry.attempts, or at once when \
         no retry can fix them)."
    );
    describe_counter!(
        FORWARD_SKIPPED_RECORDS,
        "Records forward gave up on (reason: permanent, retries_exhausted)."
    );
    describe_gauge!(
        FORWARD_PENDING_AGE_SECONDS,
        "Age of the oldest record of a shard read and not yet forwarded, in seconds."
    );
    describe_counter!(
        FORWARD_REPLACED_STREAMS,
        "Streams whose checkpoints were taken on a stream since deleted and created again."
    );
    describe_counter!(CONSUME_RECEIVED, "Messages received from SQS.");
    describe_counter!(CONSUMED, "Messages consume settled, per outcome.");
    describe_gauge!(
        CONSUME_LAG_SECONDS,
        "Age of the newest message of the last receive, in seconds."
    );
    describe_counter!(
        spillway_plugin::ERRORS_METRIC,
        "Plugin calls that failed (trap, timeout, memory, error, invalid output), per plugin."
    );
    describe_counter!(
        RETRIES,
        "Calls or batches retried, per stage and operation."
    );
    Ok(handle)
}

/// A count a stage keeps for the summary it logs when it stops, and
/// exports as a metric while it runs.
pub struct Tally {
    total: AtomicU64,
    metric: Counter,
}

impl Tally {
    /// A count from zero, exported as `metric`.
    pub fn new(metric: Counter) -> Self {
        Tally {
            total: AtomicU64::new(0),
            metric,
        }
    }

    /// Adds `n`.
    pub fn add(&self, n: u64) {
        self.total.fetch_add(n, Ordering::Relaxed);
        self.metric.increment(n);
    }

    /// The count so far.
    pub fn get(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }
}
