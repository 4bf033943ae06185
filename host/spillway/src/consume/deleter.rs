//! Deletes acknowledged messages, in batches of up to 10.

use std::time::Duration;

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::DeleteMessageBatchRequestEntry;
use tokio::sync::mpsc;

use crate::backoff::Backoff;

/// How long a delete waits for others to join its batch.
const GATHER: Duration = Duration::from_millis(20);
/// Attempts of one DeleteMessageBatch call before its messages are given up on
/// (they are then delivered again: at least once).
const ATTEMPTS: u32 = 5;

/// A message to delete.
pub(super) struct Ack {
    pub(super) id: String,
    pub(super) receipt: String,
}

/// The delete queue and the task draining it.
pub(super) struct Deleter {
    tx: mpsc::Sender<Ack>,
    task: tokio::task::JoinHandle<u64>,
}

impl Deleter {
    pub(super) fn start(sqs: Client, queue_url: String) -> Self {
        let (tx, rx) = mpsc::channel(1000);
        let task = tokio::spawn(drain(sqs, queue_url, rx));
        Self { tx, task }
    }

    /// Queues a delete.
    pub(super) async fn delete(&self, ack: Ack) {
        if self.tx.send(ack).await.is_err() {
            tracing::error!("the delete queue is closed; the message will be delivered again");
        }
    }

    /// Deletes what is queued and stops; returns how many messages were deleted.
    pub(super) async fn close(self) -> u64 {
        drop(self.tx);
        self.task.await.unwrap_or(0)
    }
}

async fn drain(sqs: Client, queue_url: String, mut rx: mpsc::Receiver<Ack>) -> u64 {
    let mut deleted = 0;
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < 10 {
            match tokio::time::timeout(GATHER, rx.recv()).await {
                Ok(Some(ack)) => batch.push(ack),
                _ => break,
            }
        }
        deleted += delete_batch(&sqs, &queue_url, &batch).await;
    }
    deleted
}

async fn delete_batch(sqs: &Client, queue_url: &str, batch: &[Ack]) -> u64 {
    let entries: Vec<DeleteMessageBatchRequestEntry> = batch
        .iter()
        .enumerate()
        .filter_map(|(i, ack)| {
            DeleteMessageBatchRequestEntry::builder()
                .id(i.to_string())
                .receipt_handle(&ack.receipt)
                .build()
                .ok()
        })
        .collect();
    let mut backoff = Backoff::default();
    for attempt in 1..=ATTEMPTS {
        let result = sqs
            .delete_message_batch()
            .queue_url(queue_url)
            .set_entries(Some(entries.clone()))
            .send()
            .await;
        match result {
            Ok(out) => {
                let ack_of = |id: &str| id.parse::<usize>().ok().and_then(|i| batch.get(i));
                for done in out.successful() {
                    if let Some(ack) = ack_of(done.id()) {
                        tracing::info!("Message with id '{}' deleted successfully.", ack.id);
                    }
                }
                for failed in out.failed() {
                    let id = ack_of(failed.id()).map_or("?", |a| a.id.as_str());
                    tracing::warn!(
                        "could not delete message '{id}' ({}); it will be delivered again",
                        failed.message().unwrap_or(failed.code())
                    );
                }
                return out.successful().len() as u64;
            }
            Err(e) => {
                tracing::warn!(
                    "deleting {} message(s) failed (attempt {attempt} of {ATTEMPTS}): {}",
                    batch.len(),
                    aws_sdk_sqs::error::DisplayErrorContext(&e)
                );
                tokio::time::sleep(backoff.next_delay()).await;
            }
        }
    }
    tracing::error!(
        "gave up deleting {} message(s); they will be delivered again",
        batch.len()
    );
    0
}
