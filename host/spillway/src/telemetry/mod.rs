//! What a running process tells the outside: liveness, readiness and
//! Prometheus metrics, over a small HTTP endpoint (`spillway.http.address`).
//!
//! - [`metrics`]: the metrics' names and meanings; the stages record them
//!   through the `metrics` facade, which costs nothing when no endpoint runs.
//! - [`health`]: which stages of the process are ready.
//! - [`server`]: `GET /health/live`, `GET /health/ready`, `GET /metrics`
//!   (and Debezium Server's `/q/health*` paths).
//! - [`logging`]: the log's level and format, from Quarkus' keys.

pub mod health;
pub mod logging;
pub mod metrics;
pub mod server;
