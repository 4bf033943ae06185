//! `spillway consume`: long-polls an SQS queue and hands each message to the
//! consumer plugin, which answers ack (the message is deleted), retry-after N
//! (it comes back in N seconds) or reject (it is left to the queue's redrive
//! policy, so it reaches the dead-letter queue after `maxReceiveCount`).
//!
//! Order: on a FIFO queue the messages of one group are handled one at a time,
//! in order; when one is not acknowledged, the group's later messages of the
//! same receive are released so they come back after it. Different groups, and
//! all messages of a standard queue, are handled in parallel by `workers`
//! plugin instances.
//!
//! Held messages are kept invisible (`leases`) until they are settled, so a
//! slow plugin never sees a message handled twice concurrently. Acks are
//! deleted in batches (`deleter`). On shutdown: receiving stops, messages not
//! yet started are released, in-flight ones finish and are settled, deletes are
//! flushed.

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
use crate::telemetry::health;
use crate::telemetry::metrics::{self as names, Tally};
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
    /// Messages released unhandled (behind a message of their group that was
    /// not acknowledged, or at shutdown).
    pub released: u64,
}

struct Counters {
    received: Tally,
    acked: Tally,
    retried: Tally,
    rejected: Tally,
    failed: Tally,
    released: Tally,
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
        }
    }
}

/// Everything the pollers and group tasks share.
struct Stage {
    sqs: Client,
    queue_url: String,
    fifo: bool,
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
    };
    tracing::info!(?summary, "stopped");
    Ok(summary)
}

/// One receive loop: long-polls until stopped, dispatching each receive's
/// messages group by group.
async fn poll(stage: Arc<Stage>, mut stop: watch::Receiver<bool>) {
    let mut backoff = Backoff::default();
    while !*stop.borrow() {
        let received = match receive(&stage).await {
            Ok(received) => {
                backoff = Backoff::default();
                received
            }
            Err(e) => {
                tracing::error!("receiving from SQS failed: {e:#}; retrying");
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

/// Handles a group's messages in order; stops at the first one not acknowledged
/// (on a FIFO queue) or at shutdown, releasing the rest.
async fn handle_group(stage: &Stage, group: Vec<Received>, stop: &watch::Receiver<bool>) {
    let mut messages = group.into_iter();
    while let Some(received) = messages.next() {
        if *stop.borrow() {
            release(stage, std::iter::once(received).chain(messages).collect()).await;
            return;
        }
        let acked = settle(
            stage,
            &received,
            call_plugin(stage, &received.message).await,
        )
        .await;
        if !acked && stage.fifo {
            release(stage, messages.collect()).await;
            return;
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

/// Does what the plugin said. Returns whether the message was acknowledged.
async fn settle(stage: &Stage, received: &Received, outcome: Result<Outcome, PluginError>) -> bool {
    let id = &received.message.id;
    let counters = &stage.counters;
    stage.leases.release(&received.receipt).await;
    match outcome {
        Ok(Outcome::Ack) => {
            counters.acked.add(1);
            stage
                .deleter
                .delete(Ack {
                    id: id.clone(),
                    receipt: received.receipt.clone(),
                })
                .await;
            return true;
        }
        Ok(Outcome::RetryAfter(seconds)) => {
            counters.retried.add(1);
            tracing::info!(
                "Message id '{id}' will be delivered again in {seconds} s, as the consumer plugin asked"
            );
            set_visibility(stage, received, Duration::from_secs(seconds.into())).await;
        }
        Ok(Outcome::Reject(reason)) => {
            counters.rejected.add(1);
            tracing::warn!(
                "Message id '{id}' rejected by the consumer plugin: {reason}. It is not deleted: \
                 the queue delivers it again and, after its redrive policy's maxReceiveCount \
                 deliveries, moves it to the dead-letter queue (this was delivery {}).",
                received.message.receive_count
            );
        }
        Err(error) => {
            counters.failed.add(1);
            let again = stage.settings.failure_retry;
            tracing::error!("Message id '{id}': {error}; it will be delivered again in {again:?}");
            set_visibility(stage, received, again).await;
        }
    }
    false
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
