//! Every configuration key Spillway reads, with its default, the values it
//! accepts and its meaning.
//!
//! These tables are the configuration reference: `docs/CONFIGURATION.md` is
//! checked against them by a test. A key that is in neither [`KEYS`],
//! [`super::debezium::KEYS`] nor under one of [`PREFIXES`] is refused, and so is
//! a value its key does not accept.

use std::fmt;

use super::Origin;

/// One key Spillway reads.
#[derive(Debug, Clone, Copy)]
pub struct Key {
    /// The full key.
    pub name: &'static str,
    /// Its default, if it has one.
    pub default: Option<&'static str>,
    /// What values it accepts.
    pub value: Value,
    /// What it does.
    pub doc: &'static str,
}

/// What values a key accepts.
#[derive(Debug, Clone, Copy)]
pub enum Value {
    /// Any text.
    Text,
    /// A whole number.
    Number,
    /// `true` or `false`.
    Flag,
    /// One of these words (compared without case, as Debezium does).
    OneOf(&'static [&'static str]),
    /// A comma-separated list of regular expressions.
    Regexes,
    /// An event format of Debezium Server (`debezium.format.*`): `json`, the
    /// only one Spillway writes.
    Json,
    /// A Debezium Server sink type: one of these, which Spillway has.
    Sink(&'static [&'static str]),
}

impl Value {
    /// For a choice of words, the word `value` names, as the table spells
    /// it (compared without case or surrounding spaces); for a flag, `true`
    /// or `false`.
    pub fn canonical(&self, value: &str) -> Option<&'static str> {
        match self {
            Value::OneOf(words) | Value::Sink(words) => words
                .iter()
                .copied()
                .find(|w| w.eq_ignore_ascii_case(value.trim())),
            Value::Flag if value.trim().eq_ignore_ascii_case("true") => Some("true"),
            Value::Flag if value.trim().eq_ignore_ascii_case("false") => Some("false"),
            _ => None,
        }
    }

    /// Checks `value`; the error says what is accepted.
    pub fn check(self, value: &str) -> Result<(), String> {
        let value = value.trim();
        match self {
            Value::Text => Ok(()),
            Value::Json if value.eq_ignore_ascii_case("json") => Ok(()),
            Value::Json => Err(format!(
                "Spillway writes JSON events only (Debezium Server's `json` format); \
                 '{value}' is not supported: remove the key, or set it to json"
            )),
            Value::Number => value
                .parse::<i64>()
                .map(drop)
                .map_err(|_| "expected a whole number".to_owned()),
            Value::Flag => match value.to_ascii_lowercase().as_str() {
                "true" | "false" => Ok(()),
                _ => Err("expected true or false".to_owned()),
            },
            Value::OneOf(words) => match words.iter().any(|w| w.eq_ignore_ascii_case(value)) {
                true => Ok(()),
                false => Err(format!("expected one of: {}", words.join(", "))),
            },
            Value::Sink(sinks) => match sinks.iter().any(|w| w.eq_ignore_ascii_case(value)) {
                true => Ok(()),
                false => Err(format!(
                    "Spillway's sinks are {}; Debezium Server's '{value}' sink is not supported",
                    sinks.join(" and ")
                )),
            },
            Value::Regexes => value
                .split(',')
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .try_for_each(|r| {
                    regex::Regex::new(r)
                        .map(drop)
                        .map_err(|e| format!("'{r}' is not a regular expression: {e}"))
                }),
        }
    }
}

/// A family of keys whose last part is free (a plugin's own settings).
#[derive(Debug)]
pub struct Prefix {
    /// The part every key of the family starts with.
    pub prefix: &'static str,
    /// What the keys do.
    pub doc: &'static str,
}

macro_rules! plugin_keys {
    ($stage:literal, $what:literal) => {
        [
            Key {
                name: concat!("spillway.", $stage, ".plugin"),
                default: Some("default"),
                value: Value::Text,
                doc: concat!(
                    "The ", $what, ": `default` (built in) or the path of a WebAssembly ",
                    "component (`.wasm`) exporting `spillway:plugin/", $stage, "`."
                ),
            },
            Key {
                name: concat!("spillway.", $stage, ".timeout.ms"),
                default: Some("5000"),
                value: Value::Number,
                doc: "The longest one call of the plugin may run, in milliseconds (1 to 3600000); then it is interrupted.",
            },
            Key {
                name: concat!("spillway.", $stage, ".memory.mb"),
                default: Some("128"),
                value: Value::Number,
                doc: "The most memory one instance of the plugin may use, in MiB (1 to 4096, a 32-bit memory's 4 GiB).",
            },
        ]
    };
}

const MAPPER: [Key; 3] = plugin_keys!("mapper", "stream-name mapper plugin");
const TRANSFORMER: [Key; 3] = plugin_keys!("transformer", "event transformer plugin");
const CONSUMER: [Key; 3] = plugin_keys!("consumer", "queue consumer plugin");

/// Every key with a fixed name.
pub static KEYS: &[Key] = &[
    MAPPER[0],
    MAPPER[1],
    MAPPER[2],
    TRANSFORMER[0],
    TRANSFORMER[1],
    TRANSFORMER[2],
    CONSUMER[0],
    CONSUMER[1],
    CONSUMER[2],
    Key {
        name: "spillway.consumer.queue",
        default: None,
        value: Value::Text,
        doc: "The SQS queue `spillway consume` reads: a name (`data-change.fifo`) or a queue URL.",
    },
    Key {
        name: "spillway.consumer.wait.seconds",
        default: Some("5"),
        value: Value::Number,
        doc: "Long-poll wait of each receive, 0 to 20 seconds (the reference consumer's 5).",
    },
    Key {
        name: "spillway.consumer.visibility.seconds",
        default: Some("10"),
        value: Value::Number,
        doc: "Visibility timeout of received messages (the reference's 10); Spillway extends it \
              while a message waits or is handled, so a slow plugin never sees a message twice.",
    },
    Key {
        name: "spillway.consumer.batch.size",
        default: Some("10"),
        value: Value::Number,
        doc: "Messages per receive, 1 to 10.",
    },
    Key {
        name: "spillway.consumer.pollers",
        default: Some("1"),
        value: Value::Number,
        doc: "Concurrent receive loops.",
    },
    Key {
        name: "spillway.consumer.workers",
        default: Some("4"),
        value: Value::Number,
        doc: "Consumer plugin instances: how many FIFO message groups (or standard-queue \
              messages) are handled in parallel.",
    },
    Key {
        name: "spillway.consumer.failure.retry.seconds",
        default: Some("10"),
        value: Value::Number,
        doc: "On a standard queue, when the plugin fails on a message (trap, timeout, invalid \
              answer), the message comes back after this many seconds. On a FIFO queue, the \
              longest wait between two attempts at a rejected or failed message (held in \
              flight, with backoff from 0.2 s).",
    },
    Key {
        name: "spillway.forward.streams",
        default: None,
        value: Value::Text,
        doc: "The Kinesis streams `spillway forward` reads, comma-separated.",
    },
    Key {
        name: "spillway.forward.starting.position",
        default: Some("TRIM_HORIZON"),
        value: Value::OneOf(&["TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"]),
        doc: "Where a shard without a checkpoint starts (the reference: TRIM_HORIZON).",
    },
    Key {
        name: "spillway.forward.starting.timestamp.ms",
        default: None,
        value: Value::Number,
        doc: "For AT_TIMESTAMP: the time to start at, in milliseconds since the epoch.",
    },
    Key {
        name: "spillway.forward.batch.size",
        default: Some("10"),
        value: Value::Number,
        doc: "Most records per transformer call (the reference's 10), 1 to 10000.",
    },
    Key {
        name: "spillway.forward.batch.window.ms",
        default: Some("0"),
        value: Value::Number,
        doc: "How long to gather records for a batch that is not full (0: send what one read returns).",
    },
    Key {
        name: "spillway.forward.poll.interval.ms",
        default: Some("1000"),
        value: Value::Number,
        doc: "Pause before reading a shard again after a read that found nothing new; reads \
              are anyway at most 5 a second per shard (Kinesis' limit).",
    },
    Key {
        name: "spillway.forward.checkpoint.dir",
        default: Some("data/checkpoints"),
        value: Value::Text,
        doc: "Where each shard's checkpoint is kept (a file per shard, replaced atomically).",
    },
    Key {
        name: "spillway.forward.replaced.stream.handling.mode",
        default: Some("restart"),
        value: Value::OneOf(&["restart", "fail"]),
        doc: "What checkpoints taken on a stream since deleted and created again under its name \
              lead to: `restart` sets them aside and reads the new stream from its oldest record; \
              `fail` refuses to start.",
    },
    Key {
        name: "spillway.forward.permanent.error.handling.mode",
        default: Some("skip"),
        value: Value::OneOf(&["skip", "retry"]),
        doc: "What a failure no retry can fix does (an event over EventBridge's 256 KB, a \
              record that is not JSON or not UTF-8, a transformer that fails or answers \
              wrongly on it): `skip` isolates the record at once and gives up on it, to the \
              on-failure queue when one is set, so the rest of the shard flows on; `retry` \
              treats it as any failure (spillway.forward.retry.attempts).",
    },
    Key {
        name: "spillway.forward.stalled.after.seconds",
        default: Some("30"),
        value: Value::Number,
        doc: "How long a shard may keep retrying one batch before forward reports itself \
              stalled: /health/ready answers 503 with the stage `stalled` until the batch goes \
              through.",
    },
    Key {
        name: "spillway.forward.retry.attempts",
        default: Some("-1"),
        value: Value::Number,
        doc: "Attempts at a batch that failed for a reason that may clear up before its \
              records are skipped; -1 retries forever (the reference's event-source mapping). \
              An EventBridge outage does not count.",
    },
    Key {
        name: "spillway.forward.bisect.on.error",
        default: Some("false"),
        value: Value::Flag,
        doc: "Whether a batch that failed for a reason that may clear up is split in halves, \
              recursively, to isolate a poison record (failures no retry can fix always are).",
    },
    Key {
        name: "spillway.forward.on.failure.queue",
        default: None,
        value: Value::Text,
        doc: "An SQS queue (name or URL) told about records given up on, before they are skipped.",
    },
    Key {
        name: "spillway.capture.state.table",
        default: Some("public.spillway_capture_state"),
        value: Value::Text,
        doc: "The table of the captured database (`schema.table`) where capture records its \
              snapshot's progress and completion, per slot, so that the record lives with the \
              data: created when missing (CREATE on the schema), then read and written \
              (SELECT, INSERT, UPDATE, DELETE). Never captured.",
    },
    Key {
        name: "spillway.capture.state.file",
        default: Some("data/capture-state.json"),
        value: Value::Text,
        doc: "Spillway 0.1's record of the snapshot (relative to the working directory): when \
              the state table holds nothing for the slot, a record found here is carried into \
              it once. Not written.",
    },
    Key {
        name: "spillway.capture.snapshot.chunk.size",
        default: Some("5000"),
        value: Value::Number,
        doc: "At most about how many rows make one snapshot chunk (a range of heap blocks, \
              from the table's rows per block), fewer where that many events would pass about \
              4 MiB: the unit read by one connection, held in memory as events, and recorded \
              as done once stored, so a restart reads at most one chunk again.",
    },
    Key {
        name: "spillway.capture.batch.size",
        default: Some("2048"),
        value: Value::Number,
        doc: "Most events capture hands the sink at once (and so holds in memory).",
    },
    Key {
        name: "spillway.capture.batch.window.ms",
        default: Some("100"),
        value: Value::Number,
        doc: "Longest time an event waits for its batch to fill before it goes to the sink.",
    },
    Key {
        name: "spillway.capture.heartbeat.interval.ms",
        default: Some("10000"),
        value: Value::Number,
        doc: "While the captured tables are idle, how often capture writes a logical decoding \
              message (pg_logical_emit_message) to move the slot forward, so PostgreSQL can \
              recycle WAL that other tables write.",
    },
    Key {
        name: "spillway.capture.progress.interval.ms",
        default: Some("10000"),
        value: Value::Number,
        doc: "How often snapshot progress (rows copied, rate, time left) is logged.",
    },
    Key {
        name: "spillway.kinesis.auto.create.streams",
        default: Some("false"),
        value: Value::Flag,
        doc: "Whether the Kinesis sink creates a missing stream (one shard) instead of \
              stopping with an error that names it.",
    },
    Key {
        name: "spillway.capture.stalled.after.seconds",
        default: Some("30"),
        value: Value::Number,
        doc: "How long the Kinesis sink may keep failing to store a batch (an AWS outage, \
              throttling that stores nothing) before capture reports itself stalled: \
              /health/ready answers 503 with the stage `stalled` until a call goes through.",
    },
    Key {
        name: "spillway.consumer.stalled.after.seconds",
        default: Some("30"),
        value: Value::Number,
        doc: "How long receiving from SQS may keep failing before consume reports itself \
              stalled: /health/ready answers 503 with the stage `stalled` until a receive \
              succeeds.",
    },
    Key {
        name: "spillway.kinesis.oversize",
        default: Some("fail"),
        value: Value::OneOf(&["fail", "skip", "dead-letter"]),
        doc: "What the Kinesis sink does with an event over Kinesis' 1 MiB: stop with an error, \
              skip it with a warning, or describe it in the dead-letter stream.",
    },
    Key {
        name: "spillway.kinesis.dead.letter.stream",
        default: None,
        value: Value::Text,
        doc: "With spillway.kinesis.oversize=dead-letter: the stream that receives a \
              description of each oversized event (topic, key, size).",
    },
    Key {
        name: "spillway.stdout.format",
        default: Some("value"),
        value: Value::OneOf(&["value", "record"]),
        doc: "What the stdout sink writes per event: its value (tombstones left out), or \
              `{\"destination\", \"key\", \"value\"}` with tombstones as null values.",
    },
    Key {
        name: "spillway.provision.shards",
        default: Some("1"),
        value: Value::Number,
        doc: "Shards of each Kinesis stream `spillway provision` creates.",
    },
    Key {
        name: "spillway.provision.rule",
        default: Some("forward-to-sqs"),
        value: Value::Text,
        doc: "The rule `spillway provision` puts on each bus: every event to the consumer's queue.",
    },
    Key {
        name: "spillway.provision.message.group",
        default: Some("Group1"),
        value: Value::Text,
        doc: "The MessageGroupId the rule's target gives events sent to a FIFO queue.",
    },
    Key {
        name: "spillway.provision.max.receive.count",
        default: Some("10"),
        value: Value::Number,
        doc: "Receives of a message before the queue moves it to its dead-letter queue.",
    },
    Key {
        name: "spillway.aws.region",
        default: None,
        value: Value::Text,
        doc: "AWS region of the clients; default: the standard AWS chain (`AWS_REGION`, profile).",
    },
    Key {
        name: "spillway.aws.endpoint",
        default: None,
        value: Value::Text,
        doc: "Endpoint URL of the AWS clients (an emulator); default: `AWS_ENDPOINT_URL`, else AWS.",
    },
    Key {
        name: "spillway.run.stages",
        default: None,
        value: Value::Text,
        doc: "The stages `spillway run` and `spillway check` run, comma-separated: any of \
              capture, forward and consume. Default: the stages the configuration sets up \
              (capture for debezium.source.* keys, forward for spillway.forward.* or \
              spillway.transformer.*, consume for spillway.consumer.*).",
    },
    Key {
        name: "spillway.http.address",
        default: None,
        value: Value::Text,
        doc: "Where the process serves `/health/live`, `/health/ready` and `/metrics` \
              (Prometheus), as `host:port` (`0.0.0.0:9090` in a container). Default: no endpoint.",
    },
    Key {
        name: "quarkus.log.level",
        default: Some("INFO"),
        value: Value::OneOf(&[
            "OFF", "FATAL", "SEVERE", "ERROR", "WARN", "WARNING", "INFO", "CONFIG", "DEBUG",
            "FINE", "FINER", "TRACE", "FINEST", "ALL",
        ]),
        doc: "Debezium Server's log level, honoured: the least severe level logged (RUST_LOG, \
              when set, wins).",
    },
    Key {
        name: "quarkus.log.console.json",
        default: Some("false"),
        value: Value::Flag,
        doc: "Whether log lines are JSON objects (one per line), as Debezium Server's \
              quarkus-logging-json writes them.",
    },
    Key {
        name: "quarkus.http.port",
        default: None,
        value: Value::Number,
        doc: "Debezium Server's HTTP port, honoured when spillway.http.address is not set: \
              health (also at Debezium Server's /q/health, /q/health/live, /q/health/ready) \
              and metrics are served on quarkus.http.host:quarkus.http.port.",
    },
    Key {
        name: "quarkus.http.host",
        default: Some("0.0.0.0"),
        value: Value::Text,
        doc: "With quarkus.http.port: the address to listen on (Quarkus' default in \
              production, 0.0.0.0).",
    },
    Key {
        name: "spillway.plugins.cache.dir",
        default: None,
        value: Value::Text,
        doc: "Where compiled plugins are cached. Default: `$XDG_CACHE_HOME/spillway/plugins` \
              (or `~/.cache/spillway/plugins`); `none` turns the cache off.",
    },
];

/// Every family of keys.
pub static PREFIXES: &[Prefix] = &[
    Prefix {
        prefix: "spillway.mapper.config.",
        doc: "The mapper plugin's own settings: `spillway.mapper.config.<key>` is what the plugin \
              reads with `config(\"<key>\")`.",
    },
    Prefix {
        prefix: "spillway.transformer.config.",
        doc: "The transformer plugin's own settings. The default transformer reads \
              `detail-type.<stream>` and `bus.<stream>` for every stream it is given.",
    },
    Prefix {
        prefix: "spillway.consumer.config.",
        doc: "The consumer plugin's own settings.",
    },
    Prefix {
        prefix: "debezium.transforms.",
        doc: "Each transform's settings, as Debezium Server's: `debezium.transforms.<name>.type` \
              (a built-in transform's class), `.predicate` and `.negate`, and the transform's own \
              options (`debezium.transforms.unwrap.add.fields=op`), which its plugin reads with \
              `config(\"<option>\")` (`type` included). docs/TRANSFORMS.md lists what is built in.",
    },
    Prefix {
        prefix: "debezium.predicates.",
        doc: "Each predicate's settings: `debezium.predicates.<name>.type` (Kafka's \
              `TopicNameMatches`, `RecordIsTombstone`, `HasHeaderKey`) and its options \
              (`pattern`, `name`).",
    },
    Prefix {
        prefix: "spillway.transforms.",
        doc: "A transform of your own: `spillway.transforms.<name>.plugin=FILE.wasm` (a component \
              of the `transform-plugin` world) runs transform `<name>` of `debezium.transforms`, \
              with `.timeout.ms` and `.memory.mb` limits as the other plugins.",
    },
    Prefix {
        prefix: "quarkus.log.category.",
        doc: "Debezium Server's per-category log levels: `quarkus.log.category.\"<category>\".level`. \
              A category of Debezium's (`io.debezium` and below) sets the level of Spillway's own \
              log lines; other categories name Java packages and have no effect.",
    },
];

/// Every key with a fixed name, Spillway's and Debezium's.
pub fn all() -> impl Iterator<Item = &'static Key> {
    KEYS.iter().chain(super::debezium::KEYS)
}

/// The key named `name`.
pub fn find(name: &str) -> Option<&'static Key> {
    all().find(|k| k.name == name)
}

/// A key that Spillway does not read, and what it may have meant.
#[derive(Debug)]
pub struct UnknownKey {
    key: String,
    origin: Origin,
    suggestion: Option<String>,
}

impl fmt::Display for UnknownKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "'{}' ({})", self.key, self.origin)?;
        match &self.suggestion {
            Some(suggestion) => write!(f, ": did you mean '{suggestion}'?"),
            None if self.key.starts_with("debezium.") => write!(
                f,
                ": Spillway does not support this Debezium key (yet); remove it, or see \
                 docs/CONFIGURATION.md for the keys Spillway reads"
            ),
            None => write!(f, ": no such key; see docs/CONFIGURATION.md"),
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File { line } => write!(f, "line {line}"),
            Origin::Environment(variable) => write!(f, "environment variable {variable}"),
            Origin::Default => write!(f, "default"),
        }
    }
}

/// Whether Spillway reads `key`: a key of the tables, or one under a prefix.
pub fn is_read(key: &str) -> bool {
    find(key).is_some()
        || PREFIXES
            .iter()
            .any(|p| key.len() > p.prefix.len() && key.starts_with(p.prefix))
}

/// A key Spillway does not read, with the valid key closest to it.
pub(super) fn unknown(key: &str, origin: &Origin) -> UnknownKey {
    UnknownKey {
        key: key.to_owned(),
        origin: origin.clone(),
        suggestion: closest(key),
    }
}

/// The family of a key, for suggestions: its first two parts
/// (`debezium.source.`, `spillway.forward.`), three for a sink's keys
/// (`debezium.sink.kinesis.`).
fn family(key: &str) -> &str {
    let parts = if key.starts_with("debezium.sink.") {
        3
    } else {
        2
    };
    match key.match_indices('.').nth(parts - 1) {
        Some((end, _)) => &key[..=end],
        None => key,
    }
}

/// The valid key nearest to `key` by edit distance, if it is near enough to be
/// a typo (at most a third of the key's length, and at most 4 edits). A family
/// is compared by its prefix, and suggested with the rest of the key kept.
/// When the key's family is one Spillway knows, only keys of that family are
/// suggested (a sink's key is never "corrected" to another sink's).
fn closest(key: &str) -> Option<String> {
    let limit = (key.len() / 3).min(4);
    let own = family(key);
    let known_family =
        all().any(|k| family(k.name) == own) || PREFIXES.iter().any(|p| p.prefix.starts_with(own));
    let fixed = all()
        .filter(|k| !known_family || family(k.name) == own)
        .map(|k| (strsim::damerau_levenshtein(key, k.name), k.name.to_owned()));
    let families = PREFIXES.iter().filter_map(|family| {
        let dots = family.prefix.matches('.').count();
        let split = key.match_indices('.').nth(dots.checked_sub(1)?)?.0 + 1;
        let (head, rest) = key.split_at(split);
        let distance = strsim::damerau_levenshtein(head, family.prefix);
        (!rest.is_empty()).then(|| (distance, format!("{}{rest}", family.prefix)))
    });
    fixed
        .chain(families)
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, suggestion)| suggestion)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_fix_typos_only() {
        assert_eq!(
            closest("spillway.consumer.timout.ms").as_deref(),
            Some("spillway.consumer.timeout.ms")
        );
        assert_eq!(
            closest("spillway.transformr.config.bus.s").as_deref(),
            Some("spillway.transformer.config.bus.s")
        );
        assert_eq!(closest("something.else.entirely"), None);
    }

    #[test]
    fn every_key_is_documented_in_the_configuration_reference() {
        let reference = include_str!("../../../../docs/CONFIGURATION.md");
        for key in KEYS {
            assert!(
                reference.contains(&format!("`{}`", key.name)),
                "{} is not documented",
                key.name
            );
        }
        for family in PREFIXES {
            let shown = format!("`{}<key>`", family.prefix);
            assert!(reference.contains(&shown), "{shown} is not documented");
        }
    }
}
