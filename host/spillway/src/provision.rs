//! `spillway provision`: creates what the configuration names on AWS (or an
//! emulator), idempotently, and says for each resource whether it was
//! created or already there.
//!
//! - Kinesis streams: `spillway.forward.streams` (the streams capture writes
//!   and forward reads), and the topics capture writes that are no table's
//!   (transaction metadata, heartbeat records) when the configuration turns
//!   them on, with `spillway.provision.shards` shards each.
//! - EventBridge buses: every `spillway.transformer.config.bus.<stream>`
//!   value; on each, the rule `spillway.provision.rule` matching every event
//!   and targeting the queue with MessageGroupId `spillway.provision.message.group`.
//! - SQS: `spillway.consumer.queue` (FIFO with content-based deduplication
//!   when its name ends in `.fifo`) and its dead-letter queue
//!   `<name>-dlq[.fifo]` after `spillway.provision.max.receive.count`
//!   receives, with the queue policy that lets the rules deliver to it.

use std::collections::BTreeSet;
use std::io::Write;

use anyhow::{Context, Result};
use aws_config::SdkConfig;
use aws_sdk_eventbridge::types::{SqsParameters, Target};
use aws_sdk_sqs::types::QueueAttributeName;

use crate::config::Config;

/// The event pattern of the reference's rule: every event.
const MATCH_EVERYTHING: &str = r#"{"source":[{"prefix":""}]}"#;

/// What provisioning found or made.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    /// Resources created by this run.
    pub created: Vec<String>,
    /// Resources that already existed.
    pub existing: Vec<String>,
}

impl Report {
    fn note(&mut self, out: &mut impl Write, created: bool, what: String) -> Result<()> {
        writeln!(
            out,
            "{} {what}",
            if created { "created " } else { "exists  " }
        )?;
        if created {
            self.created.push(what);
        } else {
            self.existing.push(what);
        }
        Ok(())
    }
}

/// Creates what `config` names; writes a line per resource to `out`.
pub async fn run(config: &Config, aws: &SdkConfig, out: &mut impl Write) -> Result<Report> {
    let mut report = Report::default();
    let shards = config
        .get_u64("spillway.provision.shards")?
        .unwrap_or(1)
        .max(1) as i32;
    let kinesis = aws_sdk_kinesis::Client::new(aws);
    let mut streams = config.list("spillway.forward.streams");
    for topic in crate::capture::other_topics(config) {
        if !streams.contains(&topic) {
            streams.push(topic);
        }
    }
    for stream in streams {
        let created = match kinesis
            .create_stream()
            .stream_name(&stream)
            .shard_count(shards)
            .send()
            .await
        {
            Ok(_) => true,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_resource_in_use_exception()) =>
            {
                false
            }
            Err(e) => {
                return Err(e).with_context(|| format!("cannot create Kinesis stream '{stream}'"));
            }
        };
        report.note(out, created, format!("Kinesis stream {stream}"))?;
    }

    let queue_arn = match config
        .get("spillway.consumer.queue")
        .filter(|q| !q.is_empty())
    {
        Some(queue) => Some(provision_queues(config, aws, queue, &mut report, out).await?),
        None => None,
    };

    let buses: BTreeSet<String> = config
        .under("spillway.transformer.config.bus.")
        .into_values()
        .collect();
    let eventbridge = aws_sdk_eventbridge::Client::new(aws);
    let rule = config
        .get("spillway.provision.rule")
        .unwrap_or("forward-to-sqs");
    let group = config
        .get("spillway.provision.message.group")
        .unwrap_or("Group1");
    let mut rule_arns = Vec::new();
    for bus in &buses {
        let created = match eventbridge.create_event_bus().name(bus).send().await {
            Ok(_) => true,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_resource_already_exists_exception()) =>
            {
                false
            }
            Err(e) => return Err(e).with_context(|| format!("cannot create event bus '{bus}'")),
        };
        report.note(out, created, format!("EventBridge bus {bus}"))?;
        let Some(queue_arn) = &queue_arn else {
            continue;
        };
        let existed = eventbridge
            .describe_rule()
            .name(rule)
            .event_bus_name(bus)
            .send()
            .await
            .is_ok();
        let put = eventbridge
            .put_rule()
            .name(rule)
            .event_bus_name(bus)
            .event_pattern(MATCH_EVERYTHING)
            .send()
            .await
            .with_context(|| format!("cannot put rule '{rule}' on bus '{bus}'"))?;
        rule_arns.extend(put.rule_arn().map(str::to_owned));
        let mut target = Target::builder().id("spillway-queue").arn(queue_arn);
        if queue_arn.ends_with(".fifo") {
            target =
                target.sqs_parameters(SqsParameters::builder().message_group_id(group).build());
        }
        eventbridge
            .put_targets()
            .rule(rule)
            .event_bus_name(bus)
            .targets(target.build()?)
            .send()
            .await
            .with_context(|| {
                format!("cannot target the queue from rule '{rule}' on bus '{bus}'")
            })?;
        report.note(
            out,
            !existed,
            format!("rule {rule} on bus {bus} -> {queue_arn}"),
        )?;
    }
    if let (Some(queue_arn), false) = (&queue_arn, rule_arns.is_empty()) {
        allow_rules(config, aws, queue_arn, &rule_arns).await?;
    }
    Ok(report)
}

/// Creates the consumer's queue and its dead-letter queue; returns the queue's ARN.
async fn provision_queues(
    config: &Config,
    aws: &SdkConfig,
    queue: &str,
    report: &mut Report,
    out: &mut impl Write,
) -> Result<String> {
    let sqs = aws_sdk_sqs::Client::new(aws);
    let fifo = queue.ends_with(".fifo");
    let dead_letter = match queue.strip_suffix(".fifo") {
        Some(base) => format!("{base}-dlq.fifo"),
        None => format!("{queue}-dlq"),
    };
    let (dlq_url, created) = create_queue(&sqs, &dead_letter, fifo, None).await?;
    report.note(out, created, format!("SQS queue {dead_letter}"))?;
    let dlq_arn = queue_arn(&sqs, &dlq_url).await?;
    let receives = config
        .get_u64("spillway.provision.max.receive.count")?
        .unwrap_or(10);
    let redrive = serde_json::json!({
        "deadLetterTargetArn": dlq_arn,
        "maxReceiveCount": receives.to_string(),
    })
    .to_string();
    let (url, created) = create_queue(&sqs, queue, fifo, Some(redrive)).await?;
    report.note(
        out,
        created,
        format!("SQS queue {queue} (dead letters to {dead_letter} after {receives} receives)"),
    )?;
    queue_arn(&sqs, &url).await
}

async fn create_queue(
    sqs: &aws_sdk_sqs::Client,
    name: &str,
    fifo: bool,
    redrive: Option<String>,
) -> Result<(String, bool)> {
    let existed = sqs.get_queue_url().queue_name(name).send().await.is_ok();
    let mut request = sqs.create_queue().queue_name(name);
    if fifo {
        request = request
            .attributes(QueueAttributeName::FifoQueue, "true")
            .attributes(QueueAttributeName::ContentBasedDeduplication, "true");
    }
    let url = request
        .send()
        .await
        .with_context(|| format!("cannot create SQS queue '{name}'"))?
        .queue_url()
        .context("CreateQueue returned no URL")?
        .to_owned();
    if let Some(redrive) = redrive {
        sqs.set_queue_attributes()
            .queue_url(&url)
            .attributes(QueueAttributeName::RedrivePolicy, redrive)
            .send()
            .await
            .with_context(|| format!("cannot set the redrive policy of '{name}'"))?;
    }
    Ok((url, !existed))
}

async fn queue_arn(sqs: &aws_sdk_sqs::Client, url: &str) -> Result<String> {
    sqs.get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await?
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
        .with_context(|| format!("no ARN for queue {url}"))
}

/// The queue policy real EventBridge needs to deliver to the queue: allow
/// `events.amazonaws.com` to SendMessage from these rules.
async fn allow_rules(
    config: &Config,
    aws: &SdkConfig,
    queue_arn: &str,
    rules: &[String],
) -> Result<()> {
    let sqs = aws_sdk_sqs::Client::new(aws);
    let queue = config.get("spillway.consumer.queue").unwrap_or_default();
    let url = crate::aws::queue_url(&sqs, queue, "spillway.consumer.queue").await?;
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "spillway-eventbridge",
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": queue_arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": rules}},
        }],
    });
    sqs.set_queue_attributes()
        .queue_url(url)
        .attributes(QueueAttributeName::Policy, policy.to_string())
        .send()
        .await
        .context("cannot set the queue policy that lets EventBridge deliver")?;
    Ok(())
}
