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
