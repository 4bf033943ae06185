//! Keeps the messages Spillway holds invisible to other consumers, so a message
//! waiting behind its group, or handled by a slow plugin, is never delivered
//! to anyone else meanwhile.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::ChangeMessageVisibilityBatchRequestEntry;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// The messages held, by receipt handle, with when their invisibility ends.
type Held = HashMap<String, (String, Instant)>;

/// Extends the visibility of held messages before it runs out.
pub(super) struct Leases {
    held: Arc<Mutex<Held>>,
    visibility: Duration,
    keeper: tokio::task::JoinHandle<()>,
}

impl Leases {
    /// Starts the keeper; a held message is extended once less than half of
    /// its visibility timeout is left.
    pub(super) fn start(sqs: Client, queue_url: String, visibility: Duration) -> Self {
        let held: Arc<Mutex<Held>> = Arc::default();
        let tick = (visibility / 4).clamp(Duration::from_millis(200), Duration::from_secs(1));
        let keeper = tokio::spawn(keep(sqs, queue_url, visibility, tick, held.clone()));
        Self {
            held,
            visibility,
            keeper,
        }
    }

    /// Holds a message just received.
    pub(super) async fn hold(&self, receipt: &str, id: &str) {
        let until = Instant::now() + self.visibility;
        self.held
            .lock()
            .await
            .insert(receipt.to_owned(), (id.to_owned(), until));
    }

    /// Stops extending a message. Waits for an extension under way, so what the
    /// caller does next to the message's visibility is not overwritten by it.
    pub(super) async fn release(&self, receipt: &str) {
        self.held.lock().await.remove(receipt);
    }

    /// Stops the keeper.
    pub(super) fn stop(self) {
        self.keeper.abort();
    }
}

async fn keep(
    sqs: Client,
    queue_url: String,
    visibility: Duration,
    tick: Duration,
    held: Arc<Mutex<Held>>,
) {
    let seconds = i32::try_from(visibility.as_secs()).unwrap_or(i32::MAX);
    loop {
        tokio::time::sleep(tick).await;
        let mut held = held.lock().await;
        let now = Instant::now();
        let due: Vec<String> = held
            .iter()
            .filter(|(_, (_, until))| until.saturating_duration_since(now) < visibility / 2)
            .map(|(receipt, _)| receipt.clone())
            .collect();
        for chunk in due.chunks(10) {
            let entries = chunk.iter().enumerate().filter_map(|(i, receipt)| {
                ChangeMessageVisibilityBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(receipt)
                    .visibility_timeout(seconds)
                    .build()
                    .ok()
            });
            let result = sqs
                .change_message_visibility_batch()
                .queue_url(&queue_url)
                .set_entries(Some(entries.collect()))
                .send()
                .await;
            match result {
                Ok(out) => {
                    for failed in out.failed() {
                        let held_id = failed
                            .id()
                            .parse::<usize>()
                            .ok()
                            .and_then(|i| chunk.get(i))
                            .and_then(|receipt| held.get(receipt))
                            .map(|(id, _)| id.clone())
                            .unwrap_or_default();
                        tracing::warn!(
                            "could not extend the visibility of message '{held_id}': {}",
                            failed.message().unwrap_or(failed.code())
                        );
                    }
                    let until = Instant::now() + visibility;
                    for receipt in chunk {
                        if let Some(lease) = held.get_mut(receipt) {
                            lease.1 = until;
                        }
                    }
                }
                Err(e) => tracing::warn!(
                    "could not extend the visibility of {} message(s): {}",
                    chunk.len(),
                    aws_sdk_sqs::error::DisplayErrorContext(&e)
                ),
            }
        }
    }
}
