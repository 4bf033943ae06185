//! `spillway forward`: reads Kinesis streams shard by shard, hands each ordered
//! batch of records to the transformer plugin and publishes the events it
//! returns with PutEvents: the reference pipeline's Lambda and its Kinesis
//! event-source mapping, as a stage.
//!
//! Delivery: a shard's checkpoint (`checkpoint`) moves past a batch only once
//! EventBridge accepted every event of it; after a crash the shard resumes after
//! its checkpoint, so every record is forwarded at least once. Failures are of
//! two kinds:
//!
//! - Those no retry can fix (an event over EventBridge's 256 KB, a record
//!   that is not JSON or not UTF-8 for the transformer, a plugin that traps
//!   or answers wrongly on it, an entry EventBridge calls malformed): by
//!   default the batch is split at once down to the failing record, which is
//!   given up on, so the rest of the shard flows on
//!   (`permanent.error.handling.mode`).
//! - Those that may clear up (entries EventBridge refuses for throttling or
//!   a missing bus, a plugin time limit): the batch is retried whole, with
//!   backoff, up to `retry.attempts` (forever by default, as the reference's
//!   mapping), or bisected first, with backoff too, with `bisect.on.error`.
//! - An outage (PutEvents itself fails: no answer, a network error, a 5xx):
//!   retried with backoff until EventBridge answers, without splitting and
//!   without counting toward `retry.attempts`: it says nothing about the
//!   records.
//!
//! Records given up on are logged, counted and described in an on-failure SQS
//! queue (`on_failure`) before they are skipped. A shard retrying one part for
//! longer than `stalled.after.seconds` makes the stage not ready, and the age of its
//! oldest pending record is a metric, so a stall is never silent. Shards are
//! independent: a stuck shard does not hold the others.
//!
//! Checkpoints belong to the stream they were taken on (`checkpoint`): a
//! stream deleted and created again under its name is found at start (and
//! when reading fails), and its old checkpoints are set aside with a warning
//! and a metric, or the stage refuses to start
//! (`spillway.forward.replaced.stream.handling.mode`); they are never applied
//! to the new stream, whose records they would skip.
//!
//! Resharding is followed: shards are listed again regularly (every ten poll
//! intervals) and whenever one finishes; a shard closed by a split or merge is
//! finished once its checkpoint reaches its last sequence number (or Kinesis
//! ends its iterator), which is checkpointed as `SHARD_END`; only then do its
//! children start.

mod checkpoint;
mod on_failure;
mod publish;
mod settings;

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;
use std::future::Future;
use std::ops::Range;
use std::sync::{Arc, PoisonError};
use std::time::Instant;

use anyhow::{Context, Result};
use aws_sdk_kinesis::primitives::DateTime;
use aws_sdk_kinesis::types::ShardIteratorType;
use spillway_plugin::PluginError;
use spillway_plugin::transformer::{StreamRecord, Transformer, TransformerWorker};
use tokio::sync::watch;

use crate::backoff::Backoff;
use crate::telemetry::health;
use crate::telemetry::metrics::{self as names, Tally};

pub use checkpoint::{Checkpoints, StreamIdentity};
pub use publish::PublishError;
pub use settings::{ForwardSettings, ReplacedStream, StartingPosition};

/// What one run of the stage did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Records read from Kinesis.
    pub records: u64,
    /// Events published to EventBridge.
    pub events: u64,
    /// Batches retried after a failure.
    pub retries: u64,
    /// Batches given up on after `retry.attempts` (their records are skipped).
    pub given_up: u64,
}

struct Counters {
    records: Tally,
    events: Tally,
    retries: Tally,
    given_up: Tally,
}

impl Counters {
    fn new() -> Self {
        Counters {
            records: Tally::new(metrics::counter!(names::FORWARD_RECORDS)),
            events: Tally::new(metrics::counter!(names::FORWARDED)),
            retries: Tally::new(
                metrics::counter!(names::RETRIES, "stage" => "forward", "operation" => "batch"),
            ),
            given_up: Tally::new(metrics::counter!(names::FORWARD_GIVEN_UP)),
        }
    }
}

/// What every shard task shares.
struct Stage {
    settings: ForwardSettings,
    kinesis: aws_sdk_kinesis::Client,
    eventbridge: aws_sdk_eventbridge::Client,
    checkpoints: Checkpoints,
    /// Streams re-created since their checkpoints were taken: their shards
    /// start at the oldest record, whatever the starting position.
    replaced: HashSet<String>,
    on_failure: Option<on_failure::Destination>,
    /// The last sequence number of each closed shard, as last listed.
    endings: std::sync::Mutex<HashMap<(String, String), String>>,
    /// The shards retrying one part for longer than `stalled_after`.
    stalls: std::sync::Mutex<HashSet<(String, String)>>,
    counters: Counters,
}

impl Stage {
    /// The last sequence number of a shard, once it is known to be closed.
    fn ending(&self, stream: &str, shard: &str) -> Option<String> {
        let endings = self.endings.lock().unwrap_or_else(PoisonError::into_inner);
        endings.get(&(stream.to_owned(), shard.to_owned())).cloned()
    }

    /// Records whether a shard is stalled; the stage is ready while none is.
    fn stalled(&self, stream: &str, shard: &str, stalled: bool) {
        let mut stalls = self.stalls.lock().unwrap_or_else(PoisonError::into_inner);
        let key = (stream.to_owned(), shard.to_owned());
        let changed = if stalled {
            stalls.insert(key)
        } else {
            stalls.remove(&key)
        };
        if changed && stalls.is_empty() {
            health::ready("forward");
        } else if changed {
            health::stalled("forward");
        }
    }
}

/// Why a part failed, and whether another attempt can help.
#[derive(Debug)]
struct Failure {
    reason: String,
    /// No attempt can succeed: the records themselves are at fault.
    permanent: bool,
    /// EventBridge could not be reached or did not answer: nothing is known
    /// about the records, so the attempt does not count against them.
    outage: bool,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl Failure {
    /// A transformer failure: a trap, an error the plugin returned, an
    /// answer the host refuses or memory past the limit follow from the
    /// records; a time limit (which a less busy machine may meet) or an
    /// instance that cannot start may clear up.
    fn of_plugin(error: &PluginError) -> Self {
        Failure {
            reason: error.to_string(),
            permanent: matches!(
                error,
                PluginError::Trapped { .. }
                    | PluginError::Failed { .. }
                    | PluginError::InvalidOutput { .. }
                    | PluginError::OutOfMemory { .. }
            ),
            outage: false,
        }
    }

    fn of_publish(error: &PublishError) -> Self {
        Failure {
            reason: error.to_string(),
            permanent: error.is_permanent(),
            outage: matches!(error, PublishError::Unreachable(_)),
        }
    }
}

/// Forwards `settings.streams` until `shutdown` completes; a batch in hand is
/// finished (published and checkpointed) before returning.
pub async fn run(
    settings: ForwardSettings,
    transformer: Transformer,
    aws: &aws_config::SdkConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<Summary> {
    health::starting("forward");
    let kinesis = aws_sdk_kinesis::Client::new(aws);
    let eventbridge = aws_sdk_eventbridge::Client::new(aws);
    let on_failure = match &settings.on_failure_queue {
        Some(queue) => {
            Some(on_failure::Destination::new(aws_sdk_sqs::Client::new(aws), queue).await?)
        }
        None => None,
    };
    let checkpoints = Checkpoints::new(&settings.checkpoint_dir);
    let mut replaced = HashSet::new();
    for stream in &settings.streams {
        if check_stream(&kinesis, &checkpoints, stream, settings.replaced_stream).await? {
            replaced.insert(stream.clone());
        }
    }
    let stage = Arc::new(Stage {
        checkpoints,
        replaced,
        on_failure,
        endings: std::sync::Mutex::default(),
        stalls: std::sync::Mutex::default(),
        settings,
        kinesis,
        eventbridge,
        counters: Counters::new(),
    });
    tracing::info!(
        streams = ?stage.settings.streams,
        plugin = transformer.name(),
        "forwarding"
    );
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut shards = Shards {
        started: HashSet::new(),
        tasks: tokio::task::JoinSet::new(),
    };
    // A missing stream is an error now; later listing failures are retried.
    shards.start_ready(&stage, &transformer, &stop_rx).await?;
    health::ready("forward");
    // Until shutdown, or until a shard fails for good (that stops them all).
    // Shards are listed again regularly and whenever one finishes, so the
    // children of a split or merge start once their parents are done.
    let mut discovery = tokio::time::interval(stage.settings.poll_interval * 10);
    let mut failure = None;
    tokio::pin!(shutdown);
    loop {
        let relist = tokio::select! {
            _ = &mut shutdown => break,
            _ = discovery.tick() => true,
            Some(done) = shards.tasks.join_next() => match done {
                Ok(Ok(())) => true,
                Ok(Err(e)) => {
                    failure = Some(e);
                    break;
                }
                Err(e) => {
                    failure = Some(anyhow::anyhow!("a shard task panicked: {e}"));
                    break;
                }
            },
        };
        if relist && let Err(e) = shards.start_ready(&stage, &transformer, &stop_rx).await {
            tracing::warn!("listing shards failed: {e:#}; trying again later");
        }
    }
    tracing::info!("stopping: finishing the batches in hand");
    let _ = stop_tx.send(true);
    while let Some(done) = shards.tasks.join_next().await {
        if let Ok(Err(e)) = done {
            failure.get_or_insert(e);
        }
    }
    if let Some(e) = failure {
        return Err(e);
    }
    let c = &stage.counters;
    let summary = Summary {
        records: c.records.get(),
        events: c.events.get(),
        retries: c.retries.get(),
        given_up: c.given_up.get(),
    };
    tracing::info!(?summary, "stopped");
    Ok(summary)
}

/// The shard tasks of a run, and which shards have one.
struct Shards {
    started: HashSet<(String, String)>,
    tasks: tokio::task::JoinSet<Result<()>>,
}

impl Shards {
    /// Starts every listed shard that has no task yet and whose parents are
    /// done (or expired from the stream).
    async fn start_ready(
        &mut self,
        stage: &Arc<Stage>,
        transformer: &Transformer,
        stop: &watch::Receiver<bool>,
    ) -> Result<()> {
        for stream in &stage.settings.streams {
            let shards = list_shards(&stage.kinesis, stream).await?;
            let listed: HashSet<&str> = shards.iter().map(|s| s.id.as_str()).collect();
            {
                let mut endings = stage.endings.lock().unwrap_or_else(PoisonError::into_inner);
                for shard in &shards {
                    if let Some(end) = &shard.ending {
                        endings.insert((stream.clone(), shard.id.clone()), end.clone());
                    }
                }
            }
            for shard in &shards {
                let key = (stream.clone(), shard.id.clone());
                if self.started.contains(&key) {
                    continue;
                }
                let mut parents = shard.parents.iter().filter(|p| listed.contains(p.as_str()));
                if !parents.all(|p| stage.checkpoints.is_finished(stream, p)) {
                    continue;
                }
                self.started.insert(key);
                let (stage, stop, worker) = (stage.clone(), stop.clone(), transformer.worker());
                let (stream, shard) = (stream.clone(), shard.clone());
                self.tasks.spawn(async move {
                    forward_shard(&stage, &stream, &shard, worker, stop)
                        .await
                        .with_context(|| format!("forwarding {stream}/{} failed", shard.id))
                });
            }
        }
        Ok(())
    }
}

/// Which stream `stream` names now (DescribeStreamSummary).
async fn identify(kinesis: &aws_sdk_kinesis::Client, stream: &str) -> Result<StreamIdentity> {
    let out = kinesis
        .describe_stream_summary()
        .stream_name(stream)
        .send()
        .await
        .map_err(|e| {
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception())
            {
                anyhow::anyhow!(
                    "Kinesis stream '{stream}' does not exist: create it (`spillway provision`), \
                     or fix spillway.forward.streams"
                )
            } else {
                anyhow::anyhow!("{}", aws_sdk_kinesis::error::DisplayErrorContext(e))
                    .context(format!("cannot describe Kinesis stream '{stream}'"))
            }
        })?;
    let summary = out
        .stream_description_summary()
        .with_context(|| format!("Kinesis described stream '{stream}' without a summary"))?;
    let created = summary.stream_creation_timestamp();
    Ok(StreamIdentity {
        arn: summary.stream_arn().to_owned(),
        created_ms: created
            .to_millis()
            .unwrap_or(created.secs().saturating_mul(1000)),
        from_oldest: false,
    })
}

/// Checks that the checkpoints of `stream` were taken on the stream of that
/// name today. Returns whether its shards without a checkpoint start at the
/// oldest record: it was replaced (deleted and created again) and its old
/// checkpoints set aside, now or at an earlier start, per `mode`; errors
/// when `mode` is [`ReplacedStream::Fail`] and it was.
async fn check_stream(
    kinesis: &aws_sdk_kinesis::Client,
    checkpoints: &Checkpoints,
    stream: &str,
    mode: ReplacedStream,
) -> Result<bool> {
    let current = identify(kinesis, stream).await?;
    let verdict = checkpoints
        .verify(stream, &current)
        .with_context(|| format!("cannot read the checkpoints of {stream}"))?;
    let taken_on = match verdict {
        checkpoint::Verdict::Same { from_oldest } => return Ok(from_oldest),
        checkpoint::Verdict::Recorded => return Ok(false),
        checkpoint::Verdict::Replaced { taken_on } => taken_on,
    };
    metrics::counter!(names::FORWARD_REPLACED_STREAMS, "stream" => stream.to_owned()).increment(1);
    let what = format!(
        "Kinesis stream '{stream}' was deleted and created again since its checkpoints were \
         taken (they belong to the stream created at {} ms since the epoch; this one was created \
         at {} ms), so they say nothing about its records",
        taken_on.created_ms, current.created_ms
    );
    if mode == ReplacedStream::Fail {
        anyhow::bail!(
            "{what}. Either move {} away to read the new stream from \
             spillway.forward.starting.position, or set \
             spillway.forward.replaced.stream.handling.mode=restart to read it from its oldest \
             record",
            checkpoints.stream_dir(stream).display()
        );
    }
    let aside = checkpoints
        .set_aside(stream, &taken_on, &current)
        .with_context(|| format!("cannot set the checkpoints of {stream} aside"))?;
    tracing::warn!(
        stream,
        "{what}: they are kept in {} and the new stream is read from its oldest record \
         (TRIM_HORIZON)",
        aside.display()
    );
    Ok(true)
}

/// A shard as ListShards describes it.
#[derive(Debug, Clone)]
struct Shard {
    id: String,
    /// The shards it was split or merged from: they are forwarded first.
    parents: Vec<String>,
    /// Set once the shard is closed (by resharding): its last sequence number.
    ending: Option<String>,
}

async fn list_shards(kinesis: &aws_sdk_kinesis::Client, stream: &str) -> Result<Vec<Shard>> {
    let mut shards = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let request = match &next {
            Some(token) => kinesis.list_shards().next_token(token),
            None => kinesis.list_shards().stream_name(stream),
        };
        let out = match request.send().await {
            Ok(out) => out,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception()) =>
            {
                anyhow::bail!(
                    "Kinesis stream '{stream}' does not exist: create it (`spillway provision`), \
                     or fix spillway.forward.streams"
                )
            }
            Err(e) => {
                return Err(anyhow::anyhow!(
                    "{}",
                    aws_sdk_kinesis::error::DisplayErrorContext(e)
                ))
                .with_context(|| format!("cannot list the shards of Kinesis stream '{stream}'"));
            }
        };
        shards.extend(out.shards().iter().map(|s| {
            Shard {
                id: s.shard_id().to_owned(),
                parents: [s.parent_shard_id(), s.adjacent_parent_shard_id()]
                    .into_iter()
                    .flatten()
                    .map(str::to_owned)
                    .collect(),
                ending: s
                    .sequence_number_range()
                    .and_then(|r| r.ending_sequence_number())
                    .map(str::to_owned),
            }
        }));
        match out.next_token() {
            Some(token) => next = Some(token.to_owned()),
            None => return Ok(shards),
        }
    }
}

/// Reads one shard in order until stopped, or until it is closed and every
/// record of it forwarded (its checkpoint then says so, and its children start).
///
/// Reads and batches are apart: each GetRecords call takes up to
/// [`READ_LIMIT`] records (or a batch, if larger), at most one call per [`READ_SPACING`] (Kinesis
/// serves 5 reads a second per shard), and what was read is handed to the
/// transformer `batch.size` records at a time, once a batch is full, the
/// batching window has passed, or nothing more is there to read.
async fn forward_shard(
    stage: &Stage,
    stream: &str,
    shard: &Shard,
    mut worker: TransformerWorker,
    stop: watch::Receiver<bool>,
) -> Result<()> {
    let id = shard.id.as_str();
    let settings = &stage.settings;
    let size = usize::try_from(settings.batch_size).unwrap_or(10);
    let mut done = stage.checkpoints.load(stream, id)?;
    if done.as_deref() == Some(checkpoint::SHARD_END) {
        return Ok(());
    }
    let mut iterator = Some(iterator(stage, stream, id).await?);
    let mut backoff = Backoff::default();
    let mut reads = ReadPace::default();
    // Read and not yet delivered, in order; since when something waits.
    let mut pending: VecDeque<StreamRecord> = VecDeque::new();
    let mut waiting_since: Option<Instant> = None;
    let mut caught_up = false;
    let mut reads_failing_since: Option<Instant> = None;
    let pending_age = metrics::gauge!(
        names::FORWARD_PENDING_AGE_SECONDS,
        "stream" => stream.to_owned(),
        "shard" => id.to_owned(),
    );
    loop {
        if *stop.borrow() {
            return Ok(());
        }
        let window_over = waiting_since.is_some_and(|t| t.elapsed() >= settings.batch_window);
        while !pending.is_empty()
            && (pending.len() >= size || window_over || caught_up || iterator.is_none())
        {
            let batch: Vec<StreamRecord> = pending.drain(..size.min(pending.len())).collect();
            stage.counters.records.add(batch.len() as u64);
            let last = batch.last().map(|r| r.sequence_number.clone());
            worker = deliver(stage, stream, id, worker, &batch, &pending_age, &stop).await?;
            if *stop.borrow() {
                return Ok(());
            }
            done = last;
        }
        set_age(&pending_age, pending.front());
        if pending.is_empty() {
            waiting_since = None;
        }
        let ended = match (stage.ending(stream, id), &done) {
            (Some(end), Some(done)) => at_or_after(done, &end),
            _ => false,
        };
        let Some(current) = iterator.clone().filter(|_| !ended) else {
            stage.checkpoints.store(stream, id, checkpoint::SHARD_END)?;
            tracing::info!(
                stream,
                shard = id,
                "the shard is closed and fully forwarded"
            );
            return Ok(());
        };
        if caught_up && pending.is_empty() {
            // Nothing new at the last read: wait before asking again.
            let mut stopped = stop.clone();
            tokio::select! {
                () = tokio::time::sleep(settings.poll_interval) => {}
                _ = stopped.wait_for(|stop| *stop) => return Ok(()),
            }
        }
        reads.next().await;
        match read(stage, stream, id, &current).await {
            Ok((records, next)) => {
                backoff = Backoff::default();
                if reads_failing_since.take().is_some() {
                    stage.stalled(stream, id, false);
                }
                caught_up = records.is_empty();
                if !records.is_empty() {
                    waiting_since.get_or_insert_with(Instant::now);
                }
                pending.extend(records);
                iterator = next;
            }
            Err(e) => {
                tracing::warn!(stream, shard = id, "reading failed: {e:#}; retrying");
                let since = *reads_failing_since.get_or_insert_with(Instant::now);
                if since.elapsed() >= settings.stalled_after {
                    stage.stalled(stream, id, true);
                }
                backoff.wait(&stop).await;
                // A stream deleted and created again while it was read must
                // not be read on from a checkpoint of the old one.
                if let Ok(current) = identify(&stage.kinesis, stream).await
                    && let checkpoint::Verdict::Replaced { .. } =
                        stage.checkpoints.verify(stream, &current)?
                {
                    anyhow::bail!(
                        "Kinesis stream '{stream}' was deleted and created again while it was \
                         forwarded; start forward again to apply \
                         spillway.forward.replaced.stream.handling.mode"
                    );
                }
                // A failed or expired iterator is replaced, from the
                // checkpoint: what was read after it is read again. If no
                // new one can be had, the old one and what it read stay.
                if let Ok(fresh) = self::iterator(stage, stream, id).await {
                    pending.clear();
                    waiting_since = None;
                    iterator = Some(fresh);
                }
            }
        }
    }
}

/// Whether sequence number `a` is at or after `b` (decimal numbers of any size).
fn at_or_after(a: &str, b: &str) -> bool {
    (a.len(), a) >= (b.len(), b)
}

/// Transforms, publishes and checkpoints one batch, per the failure policy
/// (see the module's documentation): a part that fails for good is split at
/// once down to its record, which is given up on; a part that may succeed
/// later is retried with backoff (bisected first with `bisect.on.error`) and
/// given up on after `retry.attempts`. The checkpoint follows each part
/// delivered or given up on. Returns the worker (it travels to the blocking
/// pool and back).
async fn deliver(
    stage: &Stage,
    stream: &str,
    shard: &str,
    mut worker: TransformerWorker,
    batch: &[StreamRecord],
    pending_age: &metrics::Gauge,
    stop: &watch::Receiver<bool>,
) -> Result<TransformerWorker> {
    let settings = &stage.settings;
    // Parts still to deliver, in order, with the attempts each has used.
    let mut parts: VecDeque<(Range<usize>, u32)> = VecDeque::from([(0..batch.len(), 0)]);
    let mut backoff = Backoff::default();
    let mut failing_since: Option<Instant> = None;
    while let Some((range, used)) = parts.pop_front() {
        let part = &batch[range.clone()];
        set_age(pending_age, part.first());
        let (returned, outcome) = attempt(stage, worker, part).await;
        worker = returned;
        let failure = match outcome {
            Ok(()) => {
                checkpoint(stage, stream, shard, part)?;
                backoff = Backoff::default();
                if failing_since.take().is_some() {
                    stage.stalled(stream, shard, false);
                }
                continue;
            }
            Err(failure) => failure,
        };
        let (first, last) = sequence_range(part);
        let since = *failing_since.get_or_insert_with(Instant::now);
        if since.elapsed() >= settings.stalled_after {
            stage.stalled(stream, shard, true);
        }
        if failure.outage {
            stage.counters.retries.add(1);
            tracing::warn!(
                stream,
                shard,
                "records {first} to {last}: {failure}; retrying until EventBridge answers (an \
                 outage does not count toward retry.attempts)"
            );
            parts.push_front((range, used));
            if *stop.borrow() {
                return Ok(worker);
            }
            backoff.wait(stop).await;
            continue;
        }
        let used = used + 1;
        if failure.permanent && settings.skip_permanent {
            if part.len() > 1 {
                tracing::warn!(
                    stream,
                    shard,
                    "records {first} to {last} failed: {failure}; no retry can fix that: \
                     splitting the batch to find the record"
                );
                let middle = range.start + part.len() / 2;
                parts.push_front((middle..range.end, used));
                parts.push_front((range.start..middle, used));
            } else if !give_up(stage, stream, shard, part, &failure, used, stop).await? {
                return Ok(worker);
            }
            continue;
        }
        if settings.bisect && part.len() > 1 {
            tracing::warn!(
                stream,
                shard,
                "records {first} to {last} failed: {failure}; splitting the batch to isolate the cause"
            );
            let middle = range.start + part.len() / 2;
            parts.push_front((middle..range.end, used));
            parts.push_front((range.start..middle, used));
        } else if settings.retry_attempts.is_some_and(|max| used >= max) {
            if !give_up(stage, stream, shard, part, &failure, used, stop).await? {
                return Ok(worker);
            }
            continue;
        } else {
            stage.counters.retries.add(1);
            tracing::warn!(
                stream,
                shard,
                "records {first} to {last} failed (attempt {used}): {failure}; retrying"
            );
            parts.push_front((range, used));
        }
        if *stop.borrow() {
            // Not checkpointed: read again at the next start.
            return Ok(worker);
        }
        backoff.wait(stop).await;
    }
    if failing_since.is_some() {
        stage.stalled(stream, shard, false);
    }
    Ok(worker)
}

/// Sets a shard's pending-age gauge to the age of `oldest`, the oldest
/// record read and not yet forwarded (0 when there is none).
fn set_age(gauge: &metrics::Gauge, oldest: Option<&StreamRecord>) {
    let age_ms = oldest.map_or(0, |r| chrono::Utc::now().timestamp_millis() - r.arrival_ms);
    gauge.set(age_ms.max(0) as f64 / 1000.0);
}

/// Gives up on `part`: described in the on-failure queue when there is one
/// (retried until it takes the description), logged, counted, then
/// checkpointed so the shard goes on. Returns `false`, having changed
/// nothing, when stopped before the queue took the description (the part is
/// read again at the next start).
async fn give_up(
    stage: &Stage,
    stream: &str,
    shard: &str,
    part: &[StreamRecord],
    failure: &Failure,
    used: u32,
    stop: &watch::Receiver<bool>,
) -> Result<bool> {
    let (first, last) = sequence_range(part);
    let reason = if failure.permanent {
        "permanent"
    } else {
        "retries_exhausted"
    };
    if let Some(destination) = &stage.on_failure {
        let mut backoff = Backoff::default();
        // Skipped only once the destination has them: until then, retry.
        while let Err(e) = destination
            .send(
                stream,
                shard,
                part,
                failure.permanent,
                &failure.reason,
                used,
            )
            .await
        {
            tracing::warn!(stream, shard, "{e:#}; retrying");
            if *stop.borrow() {
                return Ok(false);
            }
            backoff.wait(stop).await;
        }
    }
    stage.counters.given_up.add(1);
    metrics::counter!(names::FORWARD_SKIPPED_RECORDS, "reason" => reason)
        .increment(part.len() as u64);
    match &stage.on_failure {
        Some(_) => tracing::error!(
            stream,
            shard,
            "gave up on records {first} to {last} after {used} attempt(s): {failure}; \
             described in the on-failure queue"
        ),
        None => tracing::error!(
            stream,
            shard,
            "gave up on records {first} to {last} after {used} attempt(s): {failure}; they \
             stay in the stream until its retention ends (set \
             spillway.forward.on.failure.queue to be told of them in a queue)"
        ),
    }
    checkpoint(stage, stream, shard, part)?;
    Ok(true)
}

/// One attempt at a part: transform it, publish the events.
async fn attempt(
    stage: &Stage,
    mut worker: TransformerWorker,
    part: &[StreamRecord],
) -> (TransformerWorker, Result<(), Failure>) {
    let records = part.to_vec();
    let (returned, transformed) = tokio::task::spawn_blocking(move || {
        let events = worker.transform(&records);
        (worker, events)
    })
    .await
    .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
    worker = returned;
    let events = match transformed {
        Ok(events) => events,
        Err(e) => return (worker, Err(Failure::of_plugin(&e))),
    };
    match publish::publish(&stage.eventbridge, &events).await {
        Ok(_) => {
            stage.counters.events.add(events.len() as u64);
            (worker, Ok(()))
        }
        Err(e) => (worker, Err(Failure::of_publish(&e))),
    }
}

fn checkpoint(stage: &Stage, stream: &str, shard: &str, part: &[StreamRecord]) -> Result<()> {
    let (_, last) = sequence_range(part);
    stage
        .checkpoints
        .store(stream, shard, last)
        .with_context(|| format!("cannot write the checkpoint of {stream}/{shard}"))
}

/// The first and last sequence numbers of a part.
fn sequence_range(part: &[StreamRecord]) -> (&str, &str) {
    let first = part.first().map_or("", |r| r.sequence_number.as_str());
    let last = part.last().map_or("", |r| r.sequence_number.as_str());
    (first, last)
}

/// The shard's iterator: after its checkpoint, or at the starting position.
async fn iterator(stage: &Stage, stream: &str, shard: &str) -> Result<String> {
    let checkpoint = stage
        .checkpoints
        .load(stream, shard)
        .with_context(|| format!("cannot read the checkpoint of {stream}/{shard}"))?;
    let position = if stage.replaced.contains(stream) {
        StartingPosition::TrimHorizon
    } else {
        stage.settings.starting_position
    };
    match &checkpoint {
        Some(sequence) => tracing::info!(stream, shard, "resuming after checkpoint {sequence}"),
        None => tracing::info!(stream, shard, "no checkpoint: starting at {position:?}"),
    }
    let request = stage
        .kinesis
        .get_shard_iterator()
        .stream_name(stream)
        .shard_id(shard);
    let request = match (checkpoint, position) {
        (Some(sequence), _) => request
            .shard_iterator_type(ShardIteratorType::AfterSequenceNumber)
            .starting_sequence_number(sequence),
        (None, StartingPosition::TrimHorizon) => {
            request.shard_iterator_type(ShardIteratorType::TrimHorizon)
        }
        (None, StartingPosition::Latest) => request.shard_iterator_type(ShardIteratorType::Latest),
        (None, StartingPosition::AtTimestamp(ms)) => request
            .shard_iterator_type(ShardIteratorType::AtTimestamp)
            .timestamp(DateTime::from_millis(ms)),
    };
    let out = request
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("{}", aws_sdk_kinesis::error::DisplayErrorContext(e)))
        .with_context(|| format!("cannot start reading {stream}/{shard}"))?;
    out.shard_iterator()
        .map(str::to_owned)
        .context("Kinesis returned no shard iterator")
}

/// Kinesis serves 5 GetRecords calls per second per shard; a faster reader
/// is throttled, so a shard's reads are kept at least this far apart.
const READ_SPACING: std::time::Duration = std::time::Duration::from_millis(200);

/// Most records one GetRecords call asks for, unless a batch is larger: a
/// shard takes at most 1,000 records a second, so 5 reads of this many keep
/// up five times over, while a read's response stays a few MB.
const READ_LIMIT: i32 = 1_000;

/// When a shard was last read.
#[derive(Default)]
struct ReadPace {
    last: Option<Instant>,
}

impl ReadPace {
    /// Waits until the next read keeps within [`READ_SPACING`].
    async fn next(&mut self) {
        if let Some(last) = self.last {
            tokio::time::sleep(READ_SPACING.saturating_sub(last.elapsed())).await;
        }
        self.last = Some(Instant::now());
    }
}

/// One GetRecords call: the records, and the next iterator (`None` when the
/// shard is closed and read to its end).
async fn read(
    stage: &Stage,
    stream: &str,
    shard: &str,
    iterator: &str,
) -> Result<(Vec<StreamRecord>, Option<String>)> {
    let out = stage
        .kinesis
        .get_records()
        .shard_iterator(iterator)
        .limit(READ_LIMIT.max(stage.settings.batch_size))
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("{}", aws_sdk_kinesis::error::DisplayErrorContext(e)))?;
    if let Some(behind) = out.millis_behind_latest() {
        metrics::gauge!(
            names::FORWARD_LAG_SECONDS,
            "stream" => stream.to_owned(),
            "shard" => shard.to_owned(),
        )
        .set(behind as f64 / 1000.0);
    }
    let records = out
        .records()
        .iter()
        .map(|r| StreamRecord {
            stream_name: stream.to_owned(),
            shard_id: shard.to_owned(),
            partition_key: r.partition_key().unwrap_or_default().to_owned(),
            sequence_number: r.sequence_number().to_owned(),
            arrival_ms: r
                .approximate_arrival_timestamp()
                .map_or(0, |t| t.to_millis().unwrap_or(0)),
            data: r.data().as_ref().to_vec(),
        })
        .collect();
    Ok((records, out.next_shard_iterator().map(str::to_owned)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn sequence_numbers_compare_as_numbers() {
        assert!(super::at_or_after("10", "9"));
        assert!(super::at_or_after(
            "49590338271490256608559692538361571095921575989136588898",
            "49590338271490256608559692538361571095921575989136588897"
        ));
        assert!(super::at_or_after("7", "7"));
        assert!(!super::at_or_after("9", "10"));
    }
}
