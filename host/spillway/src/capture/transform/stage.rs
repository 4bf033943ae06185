//! The transform stage: between capture and the sink, each batch of records
//! goes through the chain's transforms in order, each seeing the records its
//! predicate selects, in order, in one plugin call.

use std::sync::Arc;

use anyhow::{Context, Result};
use spillway_plugin::Runtime;
use spillway_plugin::transform::{
    ChangeRecord, Operation as WitOperation, Transform, TransformWorker,
};

use super::predicate::Predicate;
use super::settings::Step;
use crate::capture::event::{Op, Operation, Record};
use crate::capture::sink::Sink;
use crate::capture::table::Table;

/// Records a transform turned into nothing (labels `transform`).
pub const DROPPED_METRIC: &str = "spillway_capture_transform_dropped_total";

/// The host's operations and the WIT enum's, paired.
const OPERATIONS: [(Operation, WitOperation); 9] = [
    (Operation::Change(Op::Read), WitOperation::Read),
    (Operation::Change(Op::Create), WitOperation::Create),
    (Operation::Change(Op::Update), WitOperation::Update),
    (Operation::Change(Op::Delete), WitOperation::Delete),
    (Operation::Change(Op::Truncate), WitOperation::Truncate),
    (Operation::Tombstone, WitOperation::Tombstone),
    (Operation::Message, WitOperation::Message),
    (Operation::Transaction, WitOperation::Transaction),
    (Operation::Heartbeat, WitOperation::Heartbeat),
];

/// A transform of the chain, loaded.
struct Loaded {
    name: String,
    predicate: Option<(Predicate, bool)>,
    worker: TransformWorker,
    dropped: metrics::Counter,
}

impl Loaded {
    fn selects(&self, record: &ChangeRecord) -> bool {
        self.predicate
            .as_ref()
            .is_none_or(|(predicate, negate)| predicate.test(record) != *negate)
    }
}

/// A sink that transforms each batch before the sink `S` stores it.
pub struct TransformingSink<S> {
    inner: S,
    chain: Vec<Loaded>,
}

impl<S: Sink> TransformingSink<S> {
    /// Loads the chain's plugins and checks each one's settings (by calling
    /// it with an empty batch, which is when a plugin reads them).
    ///
    /// # Errors
    /// A plugin that does not load, or refuses its settings.
    pub fn new(inner: S, runtime: &Runtime, steps: Vec<Step>) -> Result<Self> {
        let mut chain = Vec::with_capacity(steps.len());
        for step in steps {
            let plugin = Transform::load(runtime, step.spec)
                .with_context(|| format!("transform '{}'", step.name))?;
            let mut worker = plugin.worker();
            std::thread::scope(|scope| scope.spawn(|| worker.apply(&[])).join())
                .map_err(|_| anyhow::anyhow!("transform '{}' panicked", step.name))?
                .with_context(|| format!("transform '{}' refuses its settings", step.name))?;
            tracing::info!(transform = %step.name, plugin = %plugin.name(), "transform loaded");
            chain.push(Loaded {
                dropped: metrics::counter!(DROPPED_METRIC, "transform" => step.name.clone()),
                name: step.name,
                predicate: step.predicate,
                worker,
            });
        }
        Ok(TransformingSink { inner, chain })
    }
}

impl<S: Sink> Sink for TransformingSink<S> {
    async fn write(&mut self, records: &[Record]) -> Result<()> {
        if self.chain.is_empty() {
            return self.inner.write(records).await;
        }
        // A plugin's standard error goes through WASI's blocking streams,
        // which cannot run on capture's async runtime thread.
        let chain = &mut self.chain;
        let transformed = std::thread::scope(|scope| scope.spawn(|| apply(chain, records)).join())
            .map_err(|_| anyhow::anyhow!("a transform plugin's call panicked"))??;
        self.inner.write(&transformed).await
    }
}

/// The records `records` become through the chain.
fn apply(chain: &mut [Loaded], records: &[Record]) -> Result<Vec<Record>> {
    let mut items: Vec<(Arc<Table>, ChangeRecord)> = records
        .iter()
        .map(|r| (r.table.clone(), change_record(r)))
        .collect();
    for transform in chain {
        // Which items the transform sees; the others keep their place.
        let chosen: Vec<bool> = items.iter().map(|(_, r)| transform.selects(r)).collect();
        let count = chosen.iter().filter(|c| **c).count();
        if count == 0 {
            continue;
        }
        let mut kept = Vec::with_capacity(items.len() - count);
        let mut batch = Vec::with_capacity(count);
        for (item, chosen) in items.into_iter().zip(&chosen) {
            if *chosen {
                kept.push((item.0, None));
                batch.push(item.1);
            } else {
                kept.push((item.0, Some(item.1)));
            }
        }
        let outputs = transform.worker.apply(&batch).with_context(|| {
            format!(
                "transform '{}' failed on a batch of {count} record(s); nothing after the last \
                 stored batch is acknowledged, so a restart reads them again",
                transform.name
            )
        })?;
        let mut outputs = outputs.into_iter();
        let mut dropped = 0;
        items = Vec::with_capacity(kept.len());
        for (table, record) in kept {
            match record {
                Some(record) => items.push((table, record)),
                None => {
                    let made = outputs.next().unwrap_or_default();
                    if made.is_empty() {
                        dropped += 1;
                    }
                    items.extend(made.into_iter().map(|r| (table.clone(), r)));
                }
            }
        }
        if dropped > 0 {
            transform.dropped.increment(dropped);
            tracing::debug!(transform = %transform.name, dropped, of = count, "records dropped by the transform");
        }
    }
    Ok(items
        .into_iter()
        .map(|(table, record)| from_change_record(table, record))
        .collect())
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `record` as a transform plugin takes it.
fn change_record(record: &Record) -> ChangeRecord {
    let operation = OPERATIONS
        .iter()
        .find(|(ours, _)| *ours == record.operation)
        .map_or(WitOperation::Message, |(_, wit)| *wit);
    ChangeRecord {
        destination: record.destination().to_owned(),
        key: record.key.as_deref().map(text),
        value: record.value.as_deref().map(text),
        headers: record.headers.clone(),
        operation,
        schema: record.table.schema.clone(),
        table: record.table.name.clone(),
        lsn: record.lsn,
    }
}

/// What a transform plugin returned, as a record of `table`.
fn from_change_record(table: Arc<Table>, record: ChangeRecord) -> Record {
    let operation = OPERATIONS
        .iter()
        .find(|(_, wit)| *wit == record.operation)
        .map_or(Operation::Message, |(ours, _)| *ours);
    let destination = (record.destination != table.topic).then_some(record.destination);
    Record {
        table,
        key: record.key.map(String::into_bytes),
        value: record.value.map(String::into_bytes),
        operation,
        lsn: record.lsn,
        destination,
        headers: record.headers,
    }
}
