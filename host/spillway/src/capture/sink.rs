//! Where capture's events go. A sink stores a batch durably before it
//! returns, and keeps the order of each key's events; capture acknowledges
//! an LSN to PostgreSQL only after the sink returned for every event up to it.

use std::future::Future;
use std::io::Write;

use anyhow::{Context, Result};

use super::event::Record;
use crate::telemetry::metrics::DELIVERED;

/// A destination for events.
pub trait Sink {
    /// Stores `records`, in order; returns once they are stored.
    fn write(&mut self, records: &[Record]) -> impl Future<Output = Result<()>>;
}

/// What the stdout sink writes for each event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StdoutFormat {
    /// The event's value (tombstones are left out).
    Value,
    /// `{"destination": ..., "key": ..., "value": ...}`, tombstones included,
    /// and `"headers": [[name, value], ...]` when transforms added headers.
    Record,
}

/// `debezium.sink.type=stdout`: one JSON event per line on standard output.
pub struct StdoutSink<W: Write> {
    out: W,
    format: StdoutFormat,
    delivered: metrics::Counter,
}

impl<W: Write> StdoutSink<W> {
    /// A sink writing to `out`.
    pub fn new(out: W, format: StdoutFormat) -> Self {
        StdoutSink {
            out,
            format,
            delivered: metrics::counter!(DELIVERED, "destination" => "stdout"),
        }
    }
}

impl<W: Write> Sink for StdoutSink<W> {
    async fn write(&mut self, records: &[Record]) -> Result<()> {
        let null: &[u8] = b"null";
        let mut lines = 0;
        for record in records {
            match (self.format, &record.value) {
                (StdoutFormat::Value, Some(value)) => self.out.write_all(value)?,
                (StdoutFormat::Value, None) => continue,
                (StdoutFormat::Record, value) => {
                    self.out.write_all(b"{\"destination\":")?;
                    serde_json::to_writer(&mut self.out, record.destination())?;
                    self.out.write_all(b",\"key\":")?;
                    self.out.write_all(record.key.as_deref().unwrap_or(null))?;
                    self.out.write_all(b",\"value\":")?;
                    self.out.write_all(value.as_deref().unwrap_or(null))?;
                    if !record.headers.is_empty() {
                        self.out.write_all(b",\"headers\":")?;
                        serde_json::to_writer(&mut self.out, &record.headers)?;
                    }
                    self.out.write_all(b"}")?;
                }
            }
            self.out.write_all(b"\n")?;
            lines += 1;
        }
        self.out
            .flush()
            .context("cannot write events to standard output")?;
        self.delivered.increment(lines);
        Ok(())
    }
}
