//! The Debezium Server keys Spillway does not read as its own: what it does
//! with each family. A file written for Debezium Server loads unchanged as
//! long as it holds no mistake:
//!
//! - [`Treatment::NoEffect`]: keys Debezium accepts that mean nothing to
//!   Spillway (Quarkus' runtime, offset storage, schema history, converters,
//!   queue tuning): accepted, with one log line saying why they do nothing.
//! - [`Treatment::Renamed`]: Debezium's deprecated names (`table.whitelist`,
//!   `database.server.name`, ...), read as the key that replaced them.
//! - [`Treatment::Refused`]: keys that would change the events in a way
//!   Spillway does not support yet. Ignoring them would silently write other
//!   events than Debezium does, so they are refused with the reason.
//!
//! Key names are Debezium 3.x's (`PostgresConnectorConfig`,
//! `CommonConnectorConfig`, `RelationalDatabaseConnectorConfig`, Debezium
//! Server's `debezium.format.*`); docs/CONFIGURATION.md lists every family, checked
//! by a test.

/// What Spillway does with a family of keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Treatment {
    /// Accepted without effect, for this reason.
    NoEffect(&'static str),
    /// A deprecated name of this key, read as it (unless that key is set too:
    /// then the old one has no effect, as in Debezium).
    Renamed(&'static str),
    /// Refused, for this reason.
    Refused(&'static str),
}

/// Keys named by a pattern: a full key, or a prefix ending in `*`.
#[derive(Debug, Clone, Copy)]
pub struct Family {
    /// The key, or `prefix*`.
    pub keys: &'static str,
    /// What Spillway does with them.
    pub treatment: Treatment,
}

impl Family {
    /// Whether `key` belongs to this family.
    pub fn matches(&self, key: &str) -> bool {
        match self.keys.strip_suffix('*') {
            Some(prefix) => key.starts_with(prefix),
            None => key == self.keys,
        }
    }
}

const QUARKUS: &str = "a setting of Quarkus, Debezium Server's runtime; Spillway is not a \
                       Quarkus application (it honours quarkus.log.level, \
                       quarkus.log.category.\"...\".level, quarkus.log.console.json, \
                       quarkus.http.port and quarkus.http.host)";
const OFFSETS: &str = "Spillway keeps no offset store: its offset is the replication slot's \
                       confirmed position, acknowledged once the sink stored the events";
const HISTORY: &str = "the PostgreSQL connector keeps no schema history (Debezium ignores \
                       these keys for PostgreSQL too)";
const CONVERTERS: &str = "Spillway writes JSON, as Debezium Server's debezium.format.*=json \
                          (Debezium Server sets the converters itself)";
const QUEUE: &str = "Spillway batches with spillway.capture.batch.size and \
                     spillway.capture.batch.window.ms";
const RETRIES: &str = "Spillway retries a lost PostgreSQL every 2 seconds without limit \
                       (docs/OPERATIONS.md)";
const FORMATS: &str = "a setting of a format Spillway does not write (it writes JSON)";
const METRICS: &str = "Spillway's metrics are served at /metrics (spillway.http.address)";
const NOT_YET: &str = "not supported yet: the events would differ from Debezium's, so the key \
                       is refused rather than ignored; remove it to get Debezium's default";
const JAVA: &str = "a Java class Spillway cannot run";

const fn no_effect(keys: &'static str, why: &'static str) -> Family {
    Family {
        keys,
        treatment: Treatment::NoEffect(why),
    }
}

const fn renamed(keys: &'static str, to: &'static str) -> Family {
    Family {
        keys,
        treatment: Treatment::Renamed(to),
    }
}

const fn refused(keys: &'static str, why: &'static str) -> Family {
    Family {
        keys,
        treatment: Treatment::Refused(why),
    }
}

/// Every family, in the order docs/CONFIGURATION.md lists them.
pub static FAMILIES: &[Family] = &[
    no_effect("quarkus.*", QUARKUS),
    no_effect("debezium.source.offset.*", OFFSETS),
    no_effect("debezium.source.database.history*", HISTORY),
    no_effect("debezium.source.schema.history.internal*", HISTORY),
    no_effect("debezium.source.include.schema.changes", HISTORY),
    no_effect("debezium.source.key.converter*", CONVERTERS),
    no_effect("debezium.source.value.converter*", CONVERTERS),
    no_effect("debezium.source.header.converter*", CONVERTERS),
    no_effect("debezium.format.*", FORMATS),
    no_effect("debezium.source.max.batch.size", QUEUE),
    no_effect("debezium.source.max.queue.size", QUEUE),
    no_effect("debezium.source.max.queue.size.in.bytes", QUEUE),
    no_effect("debezium.source.poll.interval.ms", QUEUE),
    no_effect("debezium.source.query.fetch.size", QUEUE),
    no_effect(
        "debezium.source.snapshot.fetch.size",
        "Spillway's snapshot reads in chunks of spillway.capture.snapshot.chunk.size rows, each in one round trip",
    ),
    no_effect(
        "debezium.source.snapshot.lock.timeout.ms",
        "Spillway's snapshot takes no explicit table locks: it reads in one snapshot (the slot's exported one when the slot is new)",
    ),
    no_effect(
        "debezium.source.snapshot.locking.mode",
        "Spillway's snapshot takes no explicit table locks: it reads in one snapshot (the slot's exported one when the slot is new)",
    ),
    no_effect(
        "debezium.source.snapshot.new.tables",
        "a Debezium 1.x setting of the MySQL connector; the PostgreSQL connector ignores it",
    ),
    no_effect(
        "debezium.source.snapshot.delay.ms",
        "Spillway starts its snapshot at once",
    ),
    no_effect(
        "debezium.source.streaming.delay.ms",
        "Spillway starts streaming at once",
    ),
    no_effect(
        "debezium.source.tasks.max",
        "the PostgreSQL connector always runs one task",
    ),
    no_effect(
        "debezium.source.status.update.interval.ms",
        "Spillway reports its position to PostgreSQL after each stored batch and at each \
         keepalive",
    ),
    no_effect(
        "debezium.source.schema.refresh.mode",
        "Spillway decodes every change with the definition PostgreSQL sent with it \
         (pgoutput's Relation messages), what both modes aim at",
    ),
    no_effect(
        "debezium.source.table.ignore.builtin",
        "PostgreSQL's system tables are never captured",
    ),
    no_effect(
        "debezium.source.retriable.restart.connector.wait.ms",
        RETRIES,
    ),
    no_effect("debezium.source.errors.max.retries", RETRIES),
    no_effect("debezium.source.slot.max.retries", RETRIES),
    no_effect("debezium.source.slot.retry.delay.ms", RETRIES),
    no_effect("debezium.source.database.tcpKeepAlive", RETRIES),
    no_effect("debezium.source.connection.validation.timeout.ms", RETRIES),
    no_effect(
        "debezium.source.executor.shutdown.timeout.ms",
        "Spillway stops within seconds on SIGTERM",
    ),
    no_effect("debezium.source.statistics.metrics.enabled", METRICS),
    no_effect("debezium.source.custom.metric.tags", METRICS),
    no_effect("debezium.source.advanced.metrics.enable", METRICS),
    renamed(
        "debezium.source.database.server.name",
        "debezium.source.topic.prefix",
    ),
    renamed(
        "debezium.source.heartbeat.topics.prefix",
        "debezium.source.topic.heartbeat.prefix",
    ),
    renamed(
        "debezium.source.schema.whitelist",
        "debezium.source.schema.include.list",
    ),
    renamed(
        "debezium.source.schema.blacklist",
        "debezium.source.schema.exclude.list",
    ),
    renamed(
        "debezium.source.table.whitelist",
        "debezium.source.table.include.list",
    ),
    renamed(
        "debezium.source.table.blacklist",
        "debezium.source.table.exclude.list",
    ),
    renamed(
        "debezium.source.column.whitelist",
        "debezium.source.column.include.list",
    ),
    renamed(
        "debezium.source.column.blacklist",
        "debezium.source.column.exclude.list",
    ),
    refused("debezium.source.converters*", JAVA),
    refused("debezium.source.post.processors*", JAVA),
    refused("debezium.source.signal.*", NOT_YET),
    refused("debezium.source.incremental.snapshot.*", NOT_YET),
    refused("debezium.source.column.mask.*", NOT_YET),
    refused("debezium.source.column.truncate.*", NOT_YET),
    refused("debezium.source.column.propagate.source.type", NOT_YET),
    refused("debezium.source.datatype.propagate.source.type", NOT_YET),
    refused(
        "debezium.source.sanitize.field.names",
        "Debezium 1.x's key, gone since Debezium 2.0: sanitize.field.names=true is \
         debezium.source.field.name.adjustment.mode=avro",
    ),
    refused(
        "debezium.source.snapshot.select.statement.overrides*",
        NOT_YET,
    ),
    refused("debezium.source.snapshot.include.collection.list", NOT_YET),
    refused("debezium.source.topic.naming.strategy", NOT_YET),
    refused("debezium.source.topic.delimiter", NOT_YET),
    refused("debezium.source.topic.transaction", NOT_YET),
    refused("debezium.source.xmin.fetch.interval.ms", NOT_YET),
    refused("debezium.source.money.fraction.digits", NOT_YET),
    refused("debezium.source.database.initial.statements", NOT_YET),
    refused("debezium.source.database.sslfactory", JAVA),
    refused("debezium.source.replica.identity.autoset.values", NOT_YET),
];

/// The family `key` belongs to, if any.
pub fn find(key: &str) -> Option<&'static Family> {
    FAMILIES.iter().find(|family| family.matches(key))
}

/// Debezium's deprecated values: `(key, old value, the value it means)`.
pub static RENAMED_VALUES: &[(&str, &str, &str)] = &[
    ("debezium.source.snapshot.mode", "never", "no_data"),
    ("debezium.source.snapshot.mode", "schema_only", "no_data"),
    ("debezium.source.snapshot.mode", "exported", "initial"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_read_by_spillway_or_belongs_to_one_family_at_most() {
        for key in super::super::keys::all() {
            let exact = FAMILIES.iter().find(|f| f.keys == key.name);
            assert!(exact.is_none(), "{} is read and in a family", key.name);
        }
        for family in FAMILIES {
            let sample = family.keys.replace('*', "x");
            let owners: Vec<_> = FAMILIES.iter().filter(|f| f.matches(&sample)).collect();
            assert_eq!(owners.len(), 1, "{sample} is in {owners:?}");
        }
    }
}
