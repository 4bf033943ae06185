//! The on-failure destination: an SQS queue told about the records the forward
//! stage gave up on, as a Lambda event-source mapping's on-failure destination
//! is: which stream, shard and sequence numbers, how many attempts, the last
//! error. The records themselves stay in the stream (read them by sequence
//! number while the stream retains them).

use anyhow::{Context, Result};
use aws_sdk_sqs::primitives::{DateTime, DateTimeFormat};
use spillway_plugin::transformer::StreamRecord;

/// Where descriptions of given-up records are sent.
pub(super) struct Destination {
    sqs: aws_sdk_sqs::Client,
    url: String,
}

impl Destination {
    /// The queue named `queue` (a name or URL); a missing queue is an error now,
    /// not when the first record fails.
    pub(super) async fn new(sqs: aws_sdk_sqs::Client, queue: &str) -> Result<Self> {
        let url = crate::aws::queue_url(&sqs, queue, "spillway.forward.on.failure.queue").await?;
        Ok(Self { sqs, url })
    }

    /// Describes `records` (consecutive, of one shard) as given up on:
    /// `permanent` when no retry could fix them (condition `PermanentError`),
    /// else after their attempts (`RetriesExhausted`).
    pub(super) async fn send(
        &self,
        stream: &str,
        shard: &str,
        records: &[StreamRecord],
        permanent: bool,
        error: &str,
        attempts: u32,
    ) -> Result<()> {
        let (first, last) = super::sequence_range(records);
        let time = |ms: i64| {
            DateTime::from_millis(ms)
                .fmt(DateTimeFormat::DateTime)
                .unwrap_or_default()
        };
        let body = serde_json::json!({
            "requestContext": {
                "condition": if permanent { "PermanentError" } else { "RetriesExhausted" },
                "approximateInvokeCount": attempts,
                "errorMessage": error,
            },
            "timestamp": DateTime::from(std::time::SystemTime::now())
                .fmt(DateTimeFormat::DateTime)
                .unwrap_or_default(),
            "KinesisBatchInfo": {
                "streamName": stream,
                "shardId": shard,
                "startSequenceNumber": first,
                "endSequenceNumber": last,
                "approximateArrivalOfFirstRecord": records.first().map(|r| time(r.arrival_ms)),
                "approximateArrivalOfLastRecord": records.last().map(|r| time(r.arrival_ms)),
                "batchSize": records.len(),
            },
        });
        let mut request = self
            .sqs
            .send_message()
            .queue_url(&self.url)
            .message_body(body.to_string());
        if self.url.ends_with(".fifo") {
            request = request
                .message_group_id(format!("{stream}/{shard}"))
                .message_deduplication_id(format!("{first}-{last}"));
        }
        request
            .send()
            .await
            .map_err(|e| anyhow::anyhow!("{}", aws_sdk_sqs::error::DisplayErrorContext(e)))
            .with_context(|| {
                format!("cannot tell the on-failure queue about records {first} to {last} of {stream}/{shard}")
            })?;
        Ok(())
    }
}
