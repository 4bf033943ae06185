//! Debezium's heartbeat records: with `heartbeat.interval.ms` above zero,
//! streaming writes a record to `<topic.heartbeat.prefix>.<topic.prefix>`
//! (`__debezium-heartbeat.<prefix>` by default) at most once per interval,
//! whether or not changes arrive, so consumers can tell an idle source from a
//! stopped one. Its key is `{"serverName":<prefix>}` and its value
//! `{"ts_ms":<now>}`, with the schemas `io.debezium.connector.common.ServerNameKey`
//! and `io.debezium.connector.common.Heartbeat` (Debezium's `HeartbeatImpl`
//! and `SchemaFactory`). With `heartbeat.action.query`, each heartbeat also
//! runs that statement on the plain connection (Debezium's
//! `DatabaseHeartbeatImpl`), to keep the slot moving on a database whose
//! captured tables are idle.
//!
//! These records are separate from Spillway's own heartbeat messages
//! (`spillway.capture.heartbeat.interval.ms`), logical decoding messages that
//! move the slot and never become events.

use std::io::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::event::{self, Operation, Record, Schemas};
use super::table::Table;
use super::types::write_str;

const KEY_SCHEMA: &str = r#"{"type":"struct","fields":[{"type":"string","optional":false,"field":"serverName"}],"optional":false,"name":"io.debezium.connector.common.ServerNameKey","version":1}"#;
const VALUE_SCHEMA: &str = r#"{"type":"struct","fields":[{"type":"int64","optional":false,"field":"ts_ms"}],"optional":false,"name":"io.debezium.connector.common.Heartbeat","version":1}"#;

/// When the next heartbeat record is due, and what it looks like.
pub struct Heartbeats {
    interval: Duration,
    topic: Arc<Table>,
    key: Vec<u8>,
    schemas: Schemas,
    last: Instant,
}

impl Heartbeats {
    /// Heartbeats every `interval` to `<topic_prefix>.<server>`, or `None`
    /// for an interval of zero (Debezium's default: no heartbeats).
    pub fn new(
        interval: Duration,
        topic_prefix: &str,
        server: &str,
        schemas: Schemas,
    ) -> Option<Self> {
        if interval.is_zero() {
            return None;
        }
        let mut key = Vec::new();
        event::open(schemas.key, KEY_SCHEMA, &mut key);
        key.extend_from_slice(br#"{"serverName":"#);
        write_str(server, &mut key);
        key.push(b'}');
        event::close(schemas.key, &mut key);
        Some(Heartbeats {
            interval,
            topic: Arc::new(Table::topic(&format!("{topic_prefix}.{server}"))),
            key,
            schemas,
            last: Instant::now(),
        })
    }

    /// The heartbeat record, when an interval has passed since the last.
    pub fn due(&mut self) -> Option<Record> {
        if self.last.elapsed() < self.interval {
            return None;
        }
        self.last = Instant::now();
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        let mut value = Vec::new();
        event::open(self.schemas.value, VALUE_SCHEMA, &mut value);
        let _ = write!(value, r#"{{"ts_ms":{now_ms}}}"#);
        event::close(self.schemas.value, &mut value);
        Some(Record::new(
            self.topic.clone(),
            Some(self.key.clone()),
            Some(value),
            Operation::Heartbeat,
            None,
        ))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::Heartbeats;
    use crate::capture::event::Schemas;

    #[test]
    fn a_heartbeat_is_due_once_per_interval_in_debeziums_shape() {
        assert!(
            Heartbeats::new(
                Duration::ZERO,
                "__debezium-heartbeat",
                "shop",
                Schemas::default()
            )
            .is_none()
        );
        let mut beats = Heartbeats::new(
            Duration::from_millis(30),
            "__debezium-heartbeat",
            "shop",
            Schemas {
                key: false,
                value: true,
            },
        )
        .expect("enabled");
        assert!(beats.due().is_none(), "not before the interval");
        std::thread::sleep(Duration::from_millis(40));
        let record = beats.due().expect("due");
        assert!(beats.due().is_none(), "once per interval");
        assert_eq!(record.table.topic, "__debezium-heartbeat.shop");
        assert_eq!(
            record.key.as_deref(),
            Some(&br#"{"serverName":"shop"}"#[..])
        );
        let value: serde_json::Value =
            serde_json::from_slice(record.value.as_deref().expect("value")).expect("JSON");
        assert_eq!(
            value["schema"]["name"],
            "io.debezium.connector.common.Heartbeat"
        );
        assert!(value["payload"]["ts_ms"].as_u64().expect("ts_ms") > 1_700_000_000_000);
    }
}
