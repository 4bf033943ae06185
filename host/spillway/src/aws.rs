//! AWS clients' configuration: the standard AWS chain (environment, profiles,
//! `AWS_ENDPOINT_URL`), with `spillway.aws.region` and `spillway.aws.endpoint`
//! taking precedence when set.

use aws_config::{BehaviorVersion, Region, SdkConfig};

use crate::config::Config;

/// The shared AWS configuration for every client of the process.
pub async fn sdk_config(config: &Config) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(region) = config.get("spillway.aws.region").filter(|r| !r.is_empty()) {
        loader = loader.region(Region::new(region.to_owned()));
    }
    if let Some(endpoint) = config
        .get("spillway.aws.endpoint")
        .filter(|e| !e.is_empty())
    {
        loader = loader.endpoint_url(endpoint);
    }
    loader.load().await
}

/// The Kinesis sink's configuration: Debezium's `debezium.sink.kinesis.region`,
/// `.endpoint` and `.credentials.profile` when set, else as [`sdk_config`].
pub async fn kinesis_sdk_config(config: &Config) -> SdkConfig {
    let set = |key: &str| config.get(key).filter(|v| !v.is_empty()).map(str::to_owned);
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(profile) = set("debezium.sink.kinesis.credentials.profile") {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = set("debezium.sink.kinesis.region").or(set("spillway.aws.region")) {
        loader = loader.region(Region::new(region));
    }
    if let Some(endpoint) = set("debezium.sink.kinesis.endpoint").or(set("spillway.aws.endpoint")) {
        loader = loader.endpoint_url(endpoint);
    }
    loader.load().await
}

/// An SQS queue's URL: `queue` as is when it is a URL, else looked up by name,
/// with an error that names the queue and the configuration `key` naming it.
pub async fn queue_url(
    sqs: &aws_sdk_sqs::Client,
    queue: &str,
    key: &str,
) -> anyhow::Result<String> {
    use anyhow::Context;
    if queue.starts_with("https://") || queue.starts_with("http://") {
        return Ok(queue.to_owned());
    }
    match sqs.get_queue_url().queue_name(queue).send().await {
        Ok(out) => out
            .queue_url()
            .map(str::to_owned)
            .context("SQS returned no URL for the queue"),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_queue_does_not_exist()) =>
        {
            anyhow::bail!(
                "SQS queue '{queue}' does not exist (region {}): create it (`spillway provision`), \
                 or set {key} to an existing queue's name or URL",
                sqs.config().region().map_or("not set", |r| r.as_ref())
            )
        }
        Err(e) => Err(anyhow::anyhow!(aws_sdk_sqs::error::DisplayErrorContext(e)))
            .with_context(|| format!("cannot look up SQS queue '{queue}'")),
    }
}

/// Whether the Kinesis stream `name` exists.
pub async fn kinesis_stream_exists(
    kinesis: &aws_sdk_kinesis::Client,
    name: &str,
) -> anyhow::Result<bool> {
    match kinesis
        .describe_stream_summary()
        .stream_name(name)
        .send()
        .await
    {
        Ok(_) => Ok(true),
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception()) =>
        {
            Ok(false)
        }
        Err(e) => Err(anyhow::anyhow!(
            "cannot describe Kinesis stream '{name}': {}",
            aws_sdk_kinesis::error::DisplayErrorContext(e)
        )),
    }
}
