//! `spillway consume`: long-polls an SQS queue and hands each message to the
//! consumer plugin, which answers ack (the message is deleted), retry-after N
//! (it comes back in N seconds) or reject (it is left to the queue's redrive
//! policy, so it reaches the dead-letter queue after `maxReceiveCount`).
//!
//! Order: on a FIFO queue the messages of one group are handled one at a time,
//! in order. A message that is not acknowledged stays in flight and is tried
//! again here (after the delay the plugin asked for, or with backoff after a
//! rejection or a failure) while the group's later messages wait, also in
//! flight; consume counts the attempts itself, so only a poison message
//! reaches the dead-letter queue, moved there by consume once its attempts
//! reach the redrive policy's `maxReceiveCount` (`dead_letter`). Letting the
//! queue deliver it again instead would deliver and count the whole group
//! again. Different groups, and all messages of a standard queue, are
//! handled in parallel by `workers` plugin instances; a standard queue's
//! messages are left to the queue's own redelivery and redrive policy.
//!
//! Held messages are kept invisible (`leases`) until they are settled, so a
//! slow plugin never sees a message handled twice concurrently. Acks are
//! deleted in batches (`deleter`). On shutdown: receiving stops, messages not
//! yet started are released, in-flight ones finish and are settled, deletes are
//! flushed.

mod dead_letter;
mod deleter;
mod leases;
mod settings;

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::{Context, Result};
use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::MessageSystemAttributeName;
use spillway_plugin::PluginError;
use spillway_plugin::consumer::{Consumer, ConsumerWorker, Message, Outcome};
use tokio::sync::{Semaphore, watch};

use crate::backoff::Backoff;
use crate::telemetry::health::{self, Stall};
use crate::telemetry::metrics::{self as names, Tally};
use dead_letter::DeadLetter;
use deleter::{Ack, Deleter};
use leases::Leases;
pub use settings::ConsumeSettings;

/// What one run of the stage did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Messages received.
    pub received: u64,
    /// Messages the plugin acknowledged.
    pub acked: u64,
    /// Messages deleted (acknowledged and deleted).
    pub deleted: u64,
    /// Messages the plugin asked to see again later.
    pub retried: u64,
    /// Messages the plugin rejected.
    pub rejected: u64,
    /// Messages the plugin failed on (trap, timeout, invalid answer).
    pub failed: u64,
    /// Messages released unhandled (at shutdown).
    pub released: u64,
    /// Messages of a FIFO queue consume moved to the dead-letter queue.
    pub dead_lettered: u64,
}

struct Counters {
    received: Tally,
    acked: Tally,
    retried: Tally,
    rejected: Tally,
    failed: Tally,
    released: Tally,
    dead_lettered: Tally,
}

impl Counters {
    fn new() -> Self {
        let outcome = |outcome: &'static str| {
            Tally::new(metrics::counter!(names::CONSUMED, "outcome" => outcome))
        };
        Counters {
            received: Tally::new(metrics::counter!(names::CONSUME_RECEIVED)),
            acked: outcome("ack"),
            retried: outcome("retry"),
            rejected: outcome("reject"),
            failed: outcome("failed"),
            released: outcome("released"),
            dead_lettered: outcome("dead_lettered"),
        }
    }
}

/// Everything the pollers and group tasks share.
struct Stage {
    sqs: Client,
    queue_url: String,
    fifo: bool,
    /// A FIFO queue's dead-letter queue, where consume moves a message
    /// after `maxReceiveCount` attempts.
    dead_letter: Option<DeadLetter>,
    settings: ConsumeSettings,
    plugins: Mutex<Vec<ConsumerWorker>>,
    permits: Arc<Semaphore>,
    leases: Leases,
    deleter: Deleter,
    counters: Counters,
}

/// A received message and its receipt handle.
struct Received {
    message: Message,
    receipt: String,
}

/// Consumes `settings.queue` with `plugin` until `shutdown` completes.
pub async fn run(
    settings: ConsumeSettings,
    plugin: Consumer,
    sqs: Client,
    shutdown: impl Future<Output = ()>,
) -> Result<Summary> {
    health::starting("consume");
    let queue_url = crate::aws::queue_url(&sqs, &settings.queue, "spillway.consumer.queue").await?;
    let fifo = queue_url.ends_with(".fifo");
    let dead_letter = match fifo {
        true => DeadLetter::of(&sqs, &queue_url).await?,
        false => None,
    };
    tracing::info!(
        queue = %queue_url,
        plugin = plugin.name(),
        workers = settings.workers,
        "consuming"
    );
    let stage = Arc::new(Stage {
        leases: Leases::start(sqs.clone(), queue_url.clone(), settings.visibility),
        deleter: Deleter::start(sqs.clone(), queue_url.clone()),
        plugins: Mutex::new((0..settings.workers).map(|_| plugin.worker()).collect()),
        permits: Arc::new(Semaphore::new(settings.workers)),
        counters: Counters::new(),
        sqs,
        queue_url,
        fifo,
        dead_letter,
        settings,
    });

    health::ready("consume");
    let (stop_tx, stop_rx) = watch::channel(false);
    let pollers: Vec<_> = (0..stage.settings.pollers)
        .map(|_| tokio::spawn(poll(stage.clone(), stop_rx.clone())))
        .collect();
    shutdown.await;
    tracing::info!("stopping: no more receives; finishing the messages in hand");
    let _ = stop_tx.send(true);
    for poller in pollers {
        poller.await.context("a receive loop failed")?;
    }
    // Every group task holds a permit: when all are back, all groups are settled.
    let workers = u32::try_from(stage.settings.workers).unwrap_or(u32::MAX);
    let permits = stage.permits.clone();
    let _all = permits.acquire_many(workers).await;

    let stage = Arc::into_inner(stage).context("consume tasks still running after shutdown")?;
    stage.leases.stop();
    let deleted = stage.deleter.close().await;
    let c = &stage.counters;
    let summary = Summary {
        received: c.received.get(),
        acked: c.acked.get(),
        deleted,
        retried: c.retried.get(),
        rejected: c.rejected.get(),
        failed: c.failed.get(),
        released: c.released.get(),
        dead_lettered: c.dead_lettered.get(),
    };
    tracing::info!(?summary, "stopped");
    Ok(summary)
}

/// One receive loop: long-polls until stopped, dispatching each receive's
/// messages group by group.
async fn poll(stage: Arc<Stage>, mut stop: watch::Receiver<bool>) {
    let mut backoff = Backoff::default();
    let mut stall = Stall::new("consume", stage.settings.stalled_after);
    while !*stop.borrow() {
        let received = match receive(&stage).await {
            Ok(received) => {
                backoff = Backoff::default();
                stall.succeeded();
                received
            }
            Err(e) => {
                tracing::error!("receiving from SQS failed: {e:#}; retrying");
                stall.failed("receiving from SQS");
                backoff.wait(&stop).await;
                continue;
            }
        };
        for group in groups(received, stage.fifo) {
            if *stop.borrow() {
                release(&stage, group).await;
                continue;
            }
            let permit = tokio::select! {
                permit = stage.permits.clone().acquire_owned() => permit,
                _ = stop.changed() => {
                    release(&stage, group).await;
                    continue;
                }
            };
            let Ok(permit) = permit else { return };
            let (stage, stop) = (stage.clone(), stop.clone());
            tokio::spawn(async move {
                handle_group(&stage, group, &stop).await;
                // The stage first: shutdown takes it back once every permit is.
                drop(stage);
                drop(permit);
            });
        }
    }
}

async fn receive(stage: &Stage) -> Result<Vec<Received>> {
    let out = stage
        .sqs
        .receive_message()
        .queue_url(&stage.queue_url)
        .max_number_of_messages(stage.settings.batch_size)
        .wait_time_seconds(i32::try_from(stage.settings.wait.as_secs()).unwrap_or(20))
        .visibility_timeout(i32::try_from(stage.settings.visibility.as_secs()).unwrap_or(i32::MAX))
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .message_attribute_names("All")
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("{}", aws_sdk_sqs::error::DisplayErrorContext(e)))?;
    let mut received = Vec::new();
    let mut newest_sent_ms = None;
    for m in out.messages.unwrap_or_default() {
        let (Some(id), Some(receipt)) = (m.message_id.clone(), m.receipt_handle.clone()) else {
            continue;
        };
        let attributes: Vec<(String, String)> = m
            .attributes
            .unwrap_or_default()
            .into_iter()
            .map(|(name, value)| (name.as_str().to_owned(), value))
            .collect();
        let attribute = |name: &str| {
            attributes
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        let sent_ms = attribute("SentTimestamp").and_then(|t| t.parse::<i64>().ok());
        newest_sent_ms = newest_sent_ms.max(sent_ms);
        stage.leases.hold(&receipt, &id).await;
        stage.counters.received.add(1);
        received.push(Received {
            message: Message {
                id,
                body: m.body.unwrap_or_default(),
                group_id: attribute("MessageGroupId"),
                receive_count: attribute("ApproximateReceiveCount")
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(1),
                attributes,
            },
            receipt,
        });
    }
    if let Some(sent_ms) = newest_sent_ms {
        let age_ms = chrono::Utc::now().timestamp_millis() - sent_ms;
        metrics::gauge!(names::CONSUME_LAG_SECONDS).set(age_ms.max(0) as f64 / 1000.0);
    }
    Ok(received)
}

/// Splits one receive into the units handled one message at a time: per FIFO
/// group, in receive order; on a standard queue, every message alone.
fn groups(received: Vec<Received>, fifo: bool) -> Vec<Vec<Received>> {
    if !fifo {
        return received.into_iter().map(|r| vec![r]).collect();
    }
    let mut groups: Vec<Vec<Received>> = Vec::new();
    for r in received {
        match groups
            .iter_mut()
            .find(|g| g[0].message.group_id == r.message.group_id)
        {
            Some(group) => group.push(r),
            None => groups.push(vec![r]),
        }
    }
    groups
}

/// Handles a group's messages: a standard queue's one message is settled as
/// the plugin says; a FIFO group's are handled in order ([`handle_in_order`]).
async fn handle_group(stage: &Stage, group: Vec<Received>, stop: &watch::Receiver<bool>) {
    if stage.fifo {
        handle_in_order(stage, group, stop).await;
        return;
    }
    for received in group {
        let outcome = call_plugin(stage, &received.message).await;
        settle(stage, &received, outcome).await;
    }
}

/// Handles a FIFO group's messages one at a time, in order. A message not
/// acknowledged is tried again here, still in flight, while the rest wait:
/// after the delay the plugin asked for, or with backoff (at most
/// `failure.retry.seconds`) after a rejection or failure; once its attempts
/// reach the redrive policy's `maxReceiveCount` it is moved to the
/// dead-letter queue and the group goes on. At shutdown what is left is
/// released, in order.
async fn handle_in_order(stage: &Stage, group: Vec<Received>, stop: &watch::Receiver<bool>) {
    let mut messages = group.into_iter();
    while let Some(mut received) = messages.next() {
        let mut backoff = Backoff::default();
        loop {
            if *stop.borrow() {
                release(stage, std::iter::once(received).chain(messages).collect()).await;
                return;
            }
            let outcome = call_plugin(stage, &received.message).await;
            let Some(again) = attempt_failed(stage, &received, outcome, &mut backoff).await else {
                break;
            };
            let mut stopped = stop.clone();
            tokio::select! {
                () = tokio::time::sleep(again) => {}
                _ = stopped.wait_for(|stop| *stop) => {}
            }
            received.message.receive_count += 1;
        }
    }
}

/// The shortest wait before a FIFO message the plugin asked to see again
/// is handed to it again.
const MIN_RETRY_AFTER: Duration = Duration::from_millis(200);

/// Settles one attempt at a FIFO message: `None` when it is done with
/// (acknowledged, or moved to the dead-letter queue), else when to try again.
async fn attempt_failed(
    stage: &Stage,
    received: &Received,
    outcome: Result<Outcome, PluginError>,
    backoff: &mut Backoff,
) -> Option<Duration> {
    let message = &received.message;
    let id = &message.id;
    let counters = &stage.counters;
    let reason = match outcome {
        Ok(Outcome::Ack) => {
            ack(stage, received).await;
            return None;
        }
        // Each delivery counts against maxReceiveCount, as it would if the
        // queue delivered the message again.
        Ok(Outcome::RetryAfter(seconds))
            if stage
                .dead_letter
                .as_ref()
                .is_none_or(|d| message.receive_count < d.max_receive_count) =>
        {
            counters.retried.add(1);
            tracing::info!(
                "Message id '{id}' will be delivered again in {seconds} s, as the consumer \
                 plugin asked; the messages after it in its group wait"
            );
            // At least a moment, so that "now" does not spin on the plugin.
            return Some(Duration::from_secs(seconds.into()).max(MIN_RETRY_AFTER));
        }
        Ok(Outcome::RetryAfter(_)) => {
            counters.retried.add(1);
            "was still asked to be delivered again by the consumer plugin".to_owned()
        }
        Ok(Outcome::Reject(reason)) => {
            counters.rejected.add(1);
            format!("rejected by the consumer plugin: {reason}")
        }
        Err(error) => {
            counters.failed.add(1);
            format!("could not be handled: {error}")
        }
    };
    let attempt = message.receive_count;
    match &stage.dead_letter {
        Some(dead_letter) if attempt >= dead_letter.max_receive_count => {
            if move_to_dead_letter(stage, dead_letter, received, &reason).await {
                None
            } else {
                Some(stage.settings.failure_retry)
            }
        }
        Some(dead_letter) => {
            let again = backoff.next_delay().min(stage.settings.failure_retry);
            tracing::warn!(
                "Message id '{id}' {reason} (attempt {attempt} of {}); it will be delivered \
                 again in {again:.1?}, then moved to the dead-letter queue after the last; the \
                 messages after it in its group wait",
                dead_letter.max_receive_count
            );
            Some(again)
        }
        None => {
            let again = backoff.next_delay().min(stage.settings.failure_retry);
            tracing::warn!(
                "Message id '{id}' {reason} (attempt {attempt}); it will be delivered again in \
                 {again:.1?}: the queue has no redrive policy, so it is tried until it succeeds \
                 and the messages after it in its group wait"
            );
            Some(again)
        }
    }
}

/// Sends a FIFO message given up on to the dead-letter queue, then deletes
/// it from the queue; whether it went (if not, it is tried again later).
async fn move_to_dead_letter(
    stage: &Stage,
    dead_letter: &DeadLetter,
    received: &Received,
    reason: &str,
) -> bool {
    let message = &received.message;
    match dead_letter
        .send(&stage.sqs, &stage.queue_url, message, reason)
        .await
    {
        Ok(()) => {
            tracing::error!(
                "Message id '{}' {reason}: given up on after {} attempts, moved to the \
                 dead-letter queue {}; the messages after it in its group go on",
                message.id,
                message.receive_count,
                dead_letter.url
            );
            stage.counters.dead_lettered.add(1);
            stage.leases.release(&received.receipt).await;
            stage
                .deleter
                .delete(Ack {
                    id: message.id.clone(),
                    receipt: received.receipt.clone(),
                })
                .await;
            true
        }
        Err(e) => {
            tracing::error!("{e:#}; trying the message again before moving it");
            false
        }
    }
}

/// Runs the plugin on one of the pooled instances, off the async threads.
async fn call_plugin(stage: &Stage, message: &Message) -> Result<Outcome, PluginError> {
    let pool = || stage.plugins.lock().unwrap_or_else(PoisonError::into_inner);
    // A permit is held per call and there are as many instances as permits.
    let Some(mut worker) = pool().pop() else {
        unreachable!("more plugin calls than plugin instances")
    };
    let message = message.clone();
    let (worker, outcome) = tokio::task::spawn_blocking(move || {
        let outcome = worker.handle(&message);
        (worker, outcome)
    })
    .await
    .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
    pool().push(worker);
    outcome
}

/// Deletes an acknowledged message.
async fn ack(stage: &Stage, received: &Received) {
    stage.counters.acked.add(1);
    stage.leases.release(&received.receipt).await;
    stage
        .deleter
        .delete(Ack {
            id: received.message.id.clone(),
            receipt: received.receipt.clone(),
        })
        .await;
}

/// Does what the plugin said with a standard queue's message: the queue's
/// redelivery and redrive policy take it from there.
async fn settle(stage: &Stage, received: &Received, outcome: Result<Outcome, PluginError>) {
    let id = &received.message.id;
    let counters = &stage.counters;
    match outcome {
        Ok(Outcome::Ack) => ack(stage, received).await,
        Ok(Outcome::RetryAfter(seconds)) => {
            counters.retried.add(1);
            stage.leases.release(&received.receipt).await;
            tracing::info!(
                "Message id '{id}' will be delivered again in {seconds} s, as the consumer plugin asked"
            );
            set_visibility(stage, received, Duration::from_secs(seconds.into())).await;
        }
        Ok(Outcome::Reject(reason)) => {
            counters.rejected.add(1);
            stage.leases.release(&received.receipt).await;
            tracing::warn!(
                "Message id '{id}' rejected by the consumer plugin: {reason}. It is not deleted: \
                 the queue delivers it again and, after its redrive policy's maxReceiveCount \
                 deliveries, moves it to the dead-letter queue (this was delivery {}).",
                received.message.receive_count
            );
        }
        Err(error) => {
            counters.failed.add(1);
            stage.leases.release(&received.receipt).await;
            let again = stage.settings.failure_retry;
            tracing::error!("Message id '{id}': {error}; it will be delivered again in {again:?}");
            set_visibility(stage, received, again).await;
        }
    }
}

/// Gives messages back to the queue unhandled, in order.
async fn release(stage: &Stage, messages: Vec<Received>) {
    for received in messages {
        stage.counters.released.add(1);
        stage.leases.release(&received.receipt).await;
        set_visibility(stage, &received, Duration::ZERO).await;
    }
}

async fn set_visibility(stage: &Stage, received: &Received, after: Duration) {
    let result = stage
        .sqs
        .change_message_visibility()
        .queue_url(&stage.queue_url)
        .receipt_handle(&received.receipt)
        .visibility_timeout(i32::try_from(after.as_secs()).unwrap_or(i32::MAX))
        .send()
        .await;
    if let Err(e) = result {
        tracing::warn!(
            "could not change the visibility of message '{}' ({}); it comes back when its \
             visibility timeout ends",
            received.message.id,
            aws_sdk_sqs::error::DisplayErrorContext(e)
        );
    }
}
