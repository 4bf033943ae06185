//! The queue's dead-letter queue, as its redrive policy names it, for the
//! messages of a FIFO group that consume gives up on itself.
//!
//! On a FIFO queue, consume keeps a message whose handling failed in flight
//! and tries it again, counting the attempts, rather than letting the queue
//! deliver it again: a redelivery would also deliver the messages after it in
//! its group again, and count receives against them too, so a single poison
//! message took its whole group to the dead-letter queue. Once a message's
//! attempts reach the policy's `maxReceiveCount`, consume moves it to the
//! dead-letter queue (sends it there, then deletes it), as SQS would have, and
//! the group goes on.

use anyhow::{Context, Result, bail};
use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::{MessageAttributeValue, QueueAttributeName};

/// The dead-letter queue of a source queue.
#[derive(Debug, Clone)]
pub(super) struct DeadLetter {
    /// The dead-letter queue's URL.
    pub(super) url: String,
    /// Attempts at a message before it is moved there (the policy's `maxReceiveCount`).
    pub(super) max_receive_count: u32,
}

impl DeadLetter {
    /// The dead-letter queue of `queue_url`'s redrive policy; `None` when the
    /// queue has none. Errors: the attributes cannot be read, the policy is
    /// not SQS's JSON, or the dead-letter queue cannot be found.
    pub(super) async fn of(sqs: &Client, queue_url: &str) -> Result<Option<Self>> {
        let attributes = sqs
            .get_queue_attributes()
            .queue_url(queue_url)
            .attribute_names(QueueAttributeName::RedrivePolicy)
            .send()
            .await
            .map_err(|e| anyhow::anyhow!("{}", aws_sdk_sqs::error::DisplayErrorContext(e)))
            .with_context(|| format!("cannot read the redrive policy of {queue_url}"))?;
        let Some(policy) = attributes
            .attributes()
            .and_then(|a| a.get(&QueueAttributeName::RedrivePolicy))
        else {
            return Ok(None);
        };
        let policy: serde_json::Value = serde_json::from_str(policy)
            .with_context(|| format!("the redrive policy of {queue_url} is not JSON: {policy}"))?;
        let arn = policy["deadLetterTargetArn"].as_str().unwrap_or_default();
        // SQS writes the count as a string; accept a number too.
        let max = match &policy["maxReceiveCount"] {
            serde_json::Value::String(text) => text.parse().ok(),
            value => value.as_u64().and_then(|n| u32::try_from(n).ok()),
        };
        // arn:aws:sqs:<region>:<account>:<name>
        let parts: Vec<&str> = arn.split(':').collect();
        let (Some(max_receive_count), [_, _, _, _, account, name]) = (max, parts.as_slice()) else {
            bail!("the redrive policy of {queue_url} names no dead-letter queue: {policy}");
        };
        let url = sqs
            .get_queue_url()
            .queue_name(*name)
            .queue_owner_aws_account_id(*account)
            .send()
            .await
            .map_err(|e| anyhow::anyhow!("{}", aws_sdk_sqs::error::DisplayErrorContext(e)))
            .with_context(|| format!("cannot find the dead-letter queue {arn}"))?
            .queue_url()
            .map(str::to_owned)
            .with_context(|| format!("SQS gave no URL for {arn}"))?;
        Ok(Some(DeadLetter {
            url,
            max_receive_count: max_receive_count.max(1),
        }))
    }

    /// Sends a copy of a message to the dead-letter queue, in its message
    /// group, deduplicated by its id, with why and where from as message
    /// attributes (`spillway-source-queue`, `spillway-reason`,
    /// `spillway-attempts`).
    pub(super) async fn send(
        &self,
        sqs: &Client,
        source_queue: &str,
        message: &spillway_plugin::consumer::Message,
        reason: &str,
    ) -> Result<()> {
        let text = |value: &str| {
            MessageAttributeValue::builder()
                .data_type("String")
                .string_value(value)
                .build()
                .expect("a string attribute has its type and value")
        };
        let mut request = sqs
            .send_message()
            .queue_url(&self.url)
            .message_body(&message.body)
            .message_attributes("spillway-source-queue", text(source_queue))
            .message_attributes("spillway-reason", text(reason))
            .message_attributes(
                "spillway-attempts",
                text(&message.receive_count.to_string()),
            );
        if self.url.ends_with(".fifo") {
            request = request
                .message_group_id(message.group_id.as_deref().unwrap_or("spillway"))
                .message_deduplication_id(&message.id);
        }
        request
            .send()
            .await
            .map_err(|e| anyhow::anyhow!("{}", aws_sdk_sqs::error::DisplayErrorContext(e)))
            .with_context(|| format!("cannot send message '{}' to {}", message.id, self.url))?;
        Ok(())
    }
}
