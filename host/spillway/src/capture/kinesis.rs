//! `debezium.sink.type=kinesis`: events to Kinesis Data Streams, one stream
//! per table named by the mapper plugin.
//!
//! - The stream of a table is asked of the mapper once and cached; a stream
//!   that does not exist is an error saying how to create it, unless
//!   `spillway.kinesis.auto.create.streams` is on.
//! - The partition key is the event key's payload (`{"id":101}`), or, when
//!   that is longer than Kinesis' 256-byte limit, `sha256:` and its digest:
//!   deterministic, so a key's events always land on one shard.
//! - PutRecords calls stay within 500 records and 5 MiB; streams are written
//!   concurrently, each stream's calls one after another, in order.
//! - A failed call is retried whole; a partial failure retries each failed
//!   record together with every later record of the same key in the call
//!   (some of them again), so no record of a key ends up after a later one.
//!   Retries back off with jitter and never give up: capture does not
//!   acknowledge anything meanwhile, and a crash resends from the slot.
//! - A record over 1 MiB follows `spillway.kinesis.oversize`: fail (the
//!   default), skip with a warning, or describe it in a dead-letter stream.
//! - Tombstones are not written: Kinesis has no log compaction for them to
//!   drive, and a null record would only fail downstream consumers.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::PutRecordsRequestEntry;
use sha2::{Digest, Sha256};
use spillway_plugin::mapper::{MapperWorker, Table as MapperTable};

use super::event::{self, Record, Schemas};
use super::sink::Sink;
use crate::backoff::Backoff;
use crate::config::{Config, ConfigError};
use crate::telemetry::health::Stall;
use crate::telemetry::metrics::{DELIVERED, RETRIES};

/// Kinesis' limits.
const MAX_RECORDS_PER_CALL: usize = 500;
const MAX_BYTES_PER_CALL: usize = 5 * 1024 * 1024;
const MAX_RECORD_BYTES: usize = 1024 * 1024;
const MAX_PARTITION_KEY_BYTES: usize = 256;

/// What to do with a record larger than Kinesis accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Oversize {
    /// Stop capture with an error naming the record.
    Fail,
    /// Leave it out, with a warning.
    Skip,
    /// Write a description of it (not the record) to this stream.
    DeadLetter(String),
}

/// The Kinesis sink's settings.
#[derive(Debug, Clone)]
pub struct KinesisSettings {
    /// Records per PutRecords call (`debezium.sink.kinesis.batch.size`).
    pub batch_size: usize,
    /// The partition key of events without a key (`debezium.sink.kinesis.null.key`).
    pub null_key: String,
    /// Whether missing streams are created (one shard).
    pub auto_create: bool,
    /// The policy for records over 1 MiB.
    pub oversize: Oversize,
    /// Whether event keys carry their schema (the partition key is the payload).
    pub key_schemas: bool,
    /// How long a call may keep failing before capture reports itself
    /// stalled (`spillway.capture.stalled.after.seconds`).
    pub stalled_after: Duration,
}

impl KinesisSettings {
    /// Reads the sink's keys.
    pub fn from_config(config: &Config) -> Result<Self, ConfigError> {
        let batch_size = config
            .get_u64("debezium.sink.kinesis.batch.size")?
            .unwrap_or(500) as usize;
        if !(1..=MAX_RECORDS_PER_CALL).contains(&batch_size) {
            return Err(ConfigError::Invalid {
                key: "debezium.sink.kinesis.batch.size".to_owned(),
                value: batch_size.to_string(),
                reason: "PutRecords takes 1 to 500 records".to_owned(),
            });
        }
        let oversize = match config.get("spillway.kinesis.oversize").unwrap_or("fail") {
            "skip" => Oversize::Skip,
            "dead-letter" => Oversize::DeadLetter(
                config
                    .get("spillway.kinesis.dead.letter.stream")
                    .filter(|s| !s.is_empty())
                    .ok_or_else(|| ConfigError::Missing {
                        key: "spillway.kinesis.dead.letter.stream".to_owned(),
                        hint: "the stream that describes oversized records \
                               (spillway.kinesis.oversize=dead-letter)"
                            .to_owned(),
                    })?
                    .to_owned(),
            ),
            _ => Oversize::Fail,
        };
        Ok(KinesisSettings {
            batch_size,
            null_key: config
                .get("debezium.sink.kinesis.null.key")
                .unwrap_or("default")
                .to_owned(),
            auto_create: config
                .get("spillway.kinesis.auto.create.streams")
                .is_some_and(|v| v.eq_ignore_ascii_case("true")),
            oversize,
            key_schemas: Schemas::from_config(config)?.key,
            stalled_after: Duration::from_secs(
                config
                    .get_u64("spillway.capture.stalled.after.seconds")?
                    .unwrap_or(30),
            ),
        })
    }
}

/// The Kinesis sink.
pub struct KinesisSink {
    client: Client,
    mapper: MapperWorker,
    settings: KinesisSettings,
    database: String,
    server: String,
    /// Stream of each topic, resolved (and checked to exist) once.
    streams: HashMap<String, Arc<str>>,
}

/// One record on its way to a stream.
#[derive(Clone)]
struct Entry {
    partition_key: String,
    data: Vec<u8>,
}

impl KinesisSink {
    /// A sink writing through `client`, naming streams with `mapper`.
    pub fn new(
        client: Client,
        mapper: MapperWorker,
        settings: KinesisSettings,
        server: &str,
        database: &str,
    ) -> Self {
        KinesisSink {
            client,
            mapper,
            settings,
            server: server.to_owned(),
            database: database.to_owned(),
            streams: HashMap::new(),
        }
    }

    /// The stream of `record`'s destination, asked of the mapper once per
    /// destination; a record that is no table's (transaction metadata,
    /// heartbeats, messages) goes to the stream named as its destination.
    async fn stream_for(&mut self, record: &Record) -> Result<Arc<str>> {
        let destination = record.destination();
        if let Some(stream) = self.streams.get(destination) {
            return Ok(stream.clone());
        }
        let table = &record.table;
        let name = if table.is_topic() {
            destination.to_owned()
        } else {
            let mapper = &mut self.mapper;
            let asked = MapperTable {
                server: self.server.clone(),
                database: self.database.clone(),
                schema: table.schema.clone(),
                name: table.name.clone(),
                destination: destination.to_owned(),
            };
            // A plugin's standard error goes through WASI's blocking streams,
            // which cannot run on an async runtime's thread (capture's
            // runtime would panic): the mapper runs on a thread of its own,
            // once per destination (names are cached).
            std::thread::scope(|scope| scope.spawn(|| mapper.stream_name(&asked)).join())
                .map_err(|_| anyhow::anyhow!("the mapper plugin's call panicked"))??
        };
        self.ensure_stream(&name).await?;
        tracing::info!(table = %format!("{}.{}", table.schema, table.name), destination, stream = %name, "events go to stream");
        let name: Arc<str> = name.into();
        self.streams.insert(destination.to_owned(), name.clone());
        Ok(name)
    }

    async fn ensure_stream(&self, name: &str) -> Result<()> {
        if crate::aws::kinesis_stream_exists(&self.client, name).await? {
            return Ok(());
        }
        if !self.settings.auto_create {
            bail!(
                "Kinesis stream '{name}' does not exist: create it (`spillway provision \
                 --config FILE`, or `aws kinesis create-stream --stream-name {name} \
                 --shard-count 1`), or set spillway.kinesis.auto.create.streams=true"
            );
        }
        self.create_stream(name).await
    }

    async fn create_stream(&self, name: &str) -> Result<()> {
        tracing::info!(stream = %name, "creating the Kinesis stream (one shard)");
        self.client
            .create_stream()
            .stream_name(name)
            .shard_count(1)
            .send()
            .await
            .with_context(|| format!("cannot create Kinesis stream '{name}'"))?;
        for _ in 0..120 {
            let summary = self
                .client
                .describe_stream_summary()
                .stream_name(name)
                .send()
                .await?;
            let active = summary
                .stream_description_summary()
                .is_some_and(|s| s.stream_status().as_str() == "ACTIVE");
            if active {
                return Ok(());
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
        bail!("Kinesis stream '{name}' did not become ACTIVE within a minute")
    }

    /// The record for `record`, or what the oversize policy says to do.
    fn entry(&self, record: &Record, value: &[u8]) -> Result<Option<(Entry, bool)>> {
        let partition_key = match &record.key {
            Some(key) => partition_key(key, self.settings.key_schemas),
            None => self.settings.null_key.clone(),
        };
        let size = value.len() + partition_key.len();
        if size <= MAX_RECORD_BYTES {
            return Ok(Some((
                Entry {
                    partition_key,
                    data: value.to_vec(),
                },
                false,
            )));
        }
        let what = format!(
            "an event of {}.{} with key {partition_key} is {size} bytes, over Kinesis' 1 MiB",
            record.table.schema, record.table.name
        );
        match &self.settings.oversize {
            Oversize::Fail => bail!(
                "{what}: set spillway.kinesis.oversize to skip or dead-letter to let capture \
                 go past it"
            ),
            Oversize::Skip => {
                tracing::warn!("{what}: skipped (spillway.kinesis.oversize=skip)");
                Ok(None)
            }
            Oversize::DeadLetter(_) => {
                tracing::warn!("{what}: described in the dead-letter stream");
                let description = serde_json::json!({
                    "reason": "record larger than Kinesis accepts",
                    "topic": record.destination(),
                    "partition_key": partition_key,
                    "bytes": size,
                    "key": record.key.as_deref().map(String::from_utf8_lossy),
                });
                Ok(Some((
                    Entry {
                        partition_key,
                        data: description.to_string().into_bytes(),
                    },
                    true,
                )))
            }
        }
    }
}

impl Sink for KinesisSink {
    async fn write(&mut self, records: &[Record]) -> Result<()> {
        // Entries per stream, streams in order of first appearance.
        let mut streams: Vec<(Arc<str>, Vec<Entry>)> = Vec::new();
        for record in records {
            let Some(value) = &record.value else {
                continue; // a tombstone
            };
            let Some((entry, dead_letter)) = self.entry(record, value)? else {
                continue;
            };
            let stream = match (&self.settings.oversize, dead_letter) {
                (Oversize::DeadLetter(stream), true) => Arc::from(stream.as_str()),
                _ => self.stream_for(record).await?,
            };
            match streams.iter_mut().find(|(s, _)| *s == stream) {
                Some((_, entries)) => entries.push(entry),
                None => streams.push((stream, vec![entry])),
            }
        }
        let client = &self.client;
        let batch_size = self.settings.batch_size;
        futures_util::future::try_join_all(streams.iter().map(|(stream, entries)| {
            put_in_order(
                client,
                stream,
                entries,
                batch_size,
                self.settings.stalled_after,
            )
        }))
        .await?;
        Ok(())
    }
}

/// The partition key of an event key (`{"schema":...,"payload":{...}}`, or
/// the payload alone without `with_schema`): its payload, or `sha256:<hex>`
/// of it when longer than Kinesis allows.
fn partition_key(key: &[u8], with_schema: bool) -> String {
    let text = String::from_utf8_lossy(event::key_payload(key, with_schema));
    let payload = &*text;
    if payload.len() <= MAX_PARTITION_KEY_BYTES {
        return payload.to_owned();
    }
    let digest = Sha256::digest(payload.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// Writes `entries` to `stream` in calls within Kinesis' limits, one after
/// another, each retried until every record is stored.
async fn put_in_order(
    client: &Client,
    stream: &str,
    entries: &[Entry],
    batch_size: usize,
    stalled_after: Duration,
) -> Result<()> {
    let mut start = 0;
    while start < entries.len() {
        let mut end = start;
        let mut bytes = 0;
        while end < entries.len() && end - start < batch_size {
            let size = entries[end].data.len() + entries[end].partition_key.len();
            if end > start && bytes + size > MAX_BYTES_PER_CALL {
                break;
            }
            bytes += size;
            end += 1;
        }
        put_until_stored(
            client,
            stream,
            entries[start..end].to_vec(),
            Stall::new("capture", stalled_after),
        )
        .await?;
        metrics::counter!(DELIVERED, "destination" => stream.to_owned())
            .increment((end - start) as u64);
        start = end;
    }
    Ok(())
}

/// Writes `pending` to `stream`, retrying failed records (with their keys'
/// later ones) until all are stored; `stall` says when capture stalls.
async fn put_until_stored(
    client: &Client,
    stream: &str,
    mut pending: Vec<Entry>,
    mut stall: Stall,
) -> Result<()> {
    let mut backoff = Backoff::default();
    let retries = metrics::counter!(RETRIES, "stage" => "capture", "operation" => "PutRecords");
    while !pending.is_empty() {
        let request = pending
            .iter()
            .map(|e| {
                PutRecordsRequestEntry::builder()
                    .partition_key(&e.partition_key)
                    .data(Blob::new(e.data.clone()))
                    .build()
            })
            .collect::<Result<Vec<_>, _>>()?;
        let response = client
            .put_records()
            .stream_name(stream)
            .set_records(Some(request))
            .send()
            .await;
        let failed: Vec<bool> = match response {
            Ok(output) if output.failed_record_count().unwrap_or(0) == 0 => {
                stall.succeeded();
                return Ok(());
            }
            Ok(output) => output
                .records()
                .iter()
                .map(|r| r.error_code().is_some())
                .collect(),
            Err(e) => {
                if let Some(service) = e.as_service_error()
                    && service.is_resource_not_found_exception()
                {
                    bail!("Kinesis stream '{stream}' no longer exists");
                }
                tracing::warn!(
                    stream,
                    records = pending.len(),
                    "PutRecords failed, retrying: {}",
                    aws_error(&e)
                );
                retries.increment(1);
                stall.failed(&format!("PutRecords to Kinesis stream '{stream}'"));
                tokio::time::sleep(backoff.next_delay()).await;
                continue;
            }
        };
        let count = failed.iter().filter(|f| **f).count();
        tracing::warn!(
            stream,
            failed = count,
            of = pending.len(),
            "PutRecords stored part of a call, retrying the rest"
        );
        if count < pending.len() {
            stall.succeeded();
        } else {
            stall.failed(&format!("PutRecords to Kinesis stream '{stream}'"));
        }
        pending = retry_set(pending, &failed);
        retries.increment(1);
        tokio::time::sleep(backoff.next_delay()).await;
    }
    Ok(())
}

/// After a partial failure: each failed record, with every later record of
/// the same partition key (stored or not), so that a key's records are
/// stored again in their order after the failed one.
fn retry_set(entries: Vec<Entry>, failed: &[bool]) -> Vec<Entry> {
    let mut broken: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut retry = Vec::new();
    for (i, entry) in entries.into_iter().enumerate() {
        if failed.get(i).copied().unwrap_or(true) || broken.contains(&entry.partition_key) {
            broken.insert(entry.partition_key.clone());
            retry.push(entry);
        }
    }
    retry
}

fn aws_error<E: std::error::Error>(e: &E) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key: &str) -> Entry {
        Entry {
            partition_key: key.to_owned(),
            data: key.as_bytes().to_vec(),
        }
    }

    #[test]
    fn partial_failures_resend_the_rest_of_a_broken_key() {
        let entries = vec![entry("a"), entry("b"), entry("a"), entry("c"), entry("b")];
        let failed = [true, false, false, false, false];
        let keys: Vec<String> = retry_set(entries, &failed)
            .into_iter()
            .map(|e| e.partition_key)
            .collect();
        assert_eq!(keys, ["a", "a"]);
    }

    #[test]
    fn long_keys_are_hashed_within_the_limit() {
        let short = br#"{"schema":{"type":"struct"},"payload":{"id":101}}"#;
        assert_eq!(partition_key(short, true), r#"{"id":101}"#);
        assert_eq!(partition_key(br#"{"id":101}"#, false), r#"{"id":101}"#);
        let long = format!(
            r#"{{"schema":{{}},"payload":{{"id":"{}"}}}}"#,
            "x".repeat(300)
        );
        let hashed = partition_key(long.as_bytes(), true);
        assert!(hashed.starts_with("sha256:") && hashed.len() <= MAX_PARTITION_KEY_BYTES);
        assert_eq!(
            hashed,
            partition_key(long.as_bytes(), true),
            "deterministic"
        );
    }
}
