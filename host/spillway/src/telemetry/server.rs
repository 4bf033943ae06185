//! The HTTP endpoint: `/health/live` (200 while the process serves),
//! `/health/ready` (200 once every stage is ready, else 503, with each
//! stage's state as JSON) and `/metrics` (Prometheus' text format).
//!
//! Debezium Server's paths answer too, so Kubernetes probes written for it
//! keep working: `/q/health/live`, `/q/health/ready` and `/q/health` (both),
//! with the same status codes and MicroProfile Health's body
//! (`{"status":"UP"|"DOWN","checks":[{"name":...,"status":...}]}`).

use std::future::Future;

use anyhow::{Context, Result};
use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use metrics_exporter_prometheus::PrometheusHandle;

use super::health;
use crate::config::Config;

/// Where to serve the endpoint: `spillway.http.address`, else Debezium
/// Server's `quarkus.http.host`:`quarkus.http.port` when the port is set,
/// else nowhere.
pub fn address(config: &Config) -> Option<String> {
    if let Some(address) = config.get("spillway.http.address").map(str::trim)
        && !address.is_empty()
    {
        return Some(address.to_owned());
    }
    let port = config.get("quarkus.http.port")?.trim();
    let host = config.get("quarkus.http.host").unwrap_or("0.0.0.0").trim();
    Some(format!("{host}:{port}"))
}

/// Listens on `address` and serves the endpoint, on a task of its own,
/// until `shutdown` completes. Fails if it cannot listen.
pub async fn start(
    address: &str,
    metrics: PrometheusHandle,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {address} (spillway.http.address, or quarkus.http.host and \
                 quarkus.http.port) for health and metrics"
            )
        })?;
    tracing::info!(address = %listener.local_addr()?, "health and metrics endpoint");
    let app = Router::new()
        .route("/health/live", get(|| async { "live\n" }))
        .route("/health/ready", get(ready))
        .route("/q/health/live", get(|| microprofile(true)))
        .route("/q/health/ready", get(|| microprofile(false)))
        .route("/q/health", get(|| microprofile(false)))
        .route(
            "/metrics",
            get(move || {
                let text = metrics.render();
                async move { ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text) }
            }),
        );
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::error!("the health and metrics endpoint failed: {e}");
        }
    });
    Ok(())
}

async fn ready() -> impl IntoResponse {
    let (ready, stages) = health::report();
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = serde_json::json!({ "ready": ready, "stages": stages });
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
}

/// MicroProfile Health's answer, as Debezium Server gives it: `live` only
/// says the process serves; otherwise each stage is a check, UP when ready.
async fn microprofile(live: bool) -> impl IntoResponse {
    let (ready, stages) = health::report();
    let up = live || ready;
    let word = |up: bool| if up { "UP" } else { "DOWN" };
    let checks: Vec<serde_json::Value> = if live {
        vec![serde_json::json!({ "name": "spillway", "status": "UP" })]
    } else {
        stages
            .iter()
            .map(|(stage, readiness)| {
                let up = *readiness == health::Readiness::Ready;
                serde_json::json!({ "name": stage, "status": word(up) })
            })
            .collect()
    };
    let status = if up {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = serde_json::json!({ "status": word(up), "checks": checks });
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
}
