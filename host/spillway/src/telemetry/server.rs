//! The HTTP endpoint: `/health/live` (200 while the process serves),
//! `/health/ready` (200 once every stage is ready, else 503, with each
//! stage's state as JSON) and `/metrics` (Prometheus' text format).

use std::future::Future;

use anyhow::{Context, Result};
use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use metrics_exporter_prometheus::PrometheusHandle;

use super::health;

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
            format!("cannot listen on {address} (spillway.http.address) for health and metrics")
        })?;
    tracing::info!(address = %listener.local_addr()?, "health and metrics endpoint");
    let app = Router::new()
        .route("/health/live", get(|| async { "live\n" }))
        .route("/health/ready", get(ready))
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
