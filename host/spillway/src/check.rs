//! `spillway check`: everything the stages of `spillway.run.stages` need,
//! checked without changing anything: the configuration, each plugin
//! (loaded, and called on a sample), PostgreSQL (through
//! [`crate::capture::preflight`]) and the AWS resources. Every problem is
//! listed with its fix.

use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;

use anyhow::Result;
use spillway_plugin::consumer::Consumer;
use spillway_plugin::mapper::{Mapper, Table as MapperTable};
use spillway_plugin::transform::{ChangeRecord, Operation, Transform};
use spillway_plugin::transformer::{BusEvent, StreamRecord, Transformer};
use spillway_plugin::{Code, PluginError, PluginSpec, Runtime};

use crate::aws;
use crate::capture::{self, CaptureSettings, KinesisSettings, Oversize};
use crate::config::Config;
use crate::consume::ConsumeSettings;
use crate::forward::ForwardSettings;
use crate::plugins::{self, Kind};
use crate::stages::{self, Stage};

/// How a check went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// As needed.
    Ok,
    /// Works, but probably not as meant.
    Warning,
    /// A stage would fail: the detail says how to fix it.
    Problem,
}

/// One checked thing.
#[derive(Debug, Clone)]
pub struct Finding {
    /// How it went.
    pub status: Status,
    /// What was checked.
    pub subject: String,
    /// What was found, and for a problem how to fix it.
    pub detail: String,
}

impl Finding {
    /// A check passed.
    pub fn ok(subject: &str, detail: impl Into<String>) -> Self {
        Self::new(Status::Ok, subject, detail)
    }

    /// A check passed with a caveat.
    pub fn warning(subject: &str, detail: impl Into<String>) -> Self {
        Self::new(Status::Warning, subject, detail)
    }

    /// A check failed.
    pub fn problem(subject: &str, detail: impl Into<String>) -> Self {
        Self::new(Status::Problem, subject, detail)
    }

    fn new(status: Status, subject: &str, detail: impl Into<String>) -> Self {
        Finding {
            status,
            subject: subject.to_owned(),
            detail: detail.into(),
        }
    }

    /// The finding of `result`: `ok` describes a value, an error is the problem.
    fn of<T>(
        subject: &str,
        result: Result<T, impl fmt::Display>,
        ok: impl FnOnce(&T) -> String,
    ) -> (Self, Option<T>) {
        match result {
            Ok(value) => (Self::ok(subject, ok(&value)), Some(value)),
            Err(e) => (Self::problem(subject, format!("{e:#}")), None),
        }
    }
}

/// Everything `spillway check` found.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// The findings, in the order checked.
    pub findings: Vec<Finding>,
}

impl Report {
    /// Whether nothing is a problem.
    pub fn passed(&self) -> bool {
        self.problems() == 0
    }

    fn problems(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.status == Status::Problem)
            .count()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for finding in &self.findings {
            let status = match finding.status {
                Status::Ok => "ok     ",
                Status::Warning => "WARNING",
                Status::Problem => "PROBLEM",
            };
            // Lines after the first are indented, so each finding stands out.
            let detail = finding.detail.trim_end().replace('\n', "\n        ");
            writeln!(f, "{status} {}: {detail}", finding.subject)?;
        }
        match self.problems() {
            0 => writeln!(f, "no problems found"),
            1 => writeln!(f, "1 problem found"),
            n => writeln!(f, "{n} problems found"),
        }
    }
}

/// Checks the configuration at `path` and what it names.
pub async fn run(path: &Path) -> Report {
    let mut report = Report::default();
    let subject = format!("configuration {}", path.display());
    let (finding, config) = Finding::of(&subject, Config::load(path), |_| {
        "every key is known and valid".to_owned()
    });
    report.findings.push(finding);
    let Some(config) = config else {
        return report;
    };
    for notice in config.notices() {
        report.findings.push(if notice.warning {
            Finding::warning("configuration", &notice.text)
        } else {
            Finding::ok("configuration", &notice.text)
        });
    }
    let (finding, stages) = Finding::of(
        "spillway.run.stages",
        Stage::from_config(&config),
        |stages| {
            let names: Vec<String> = stages.iter().map(ToString::to_string).collect();
            names.join(", ")
        },
    );
    report.findings.push(finding);
    let Some(stages) = stages else {
        return report;
    };
    let runtime = match Runtime::new(&plugins::runtime_options(&config)) {
        Ok(runtime) => runtime,
        Err(e) => {
            report
                .findings
                .push(Finding::problem("plugin runtime", e.to_string()));
            return report;
        }
    };
    let mut checker = Checker {
        config: &config,
        runtime: &runtime,
        report,
        buses: BTreeSet::new(),
        streams: BTreeSet::new(),
    };
    for stage in &stages {
        match stage {
            Stage::Capture => checker.capture().await,
            Stage::Forward => checker.forward().await,
            Stage::Consume => checker.consume().await,
        }
    }
    checker.report
}

/// The state of one `spillway check`.
struct Checker<'a> {
    config: &'a Config,
    runtime: &'a Runtime,
    report: Report,
    /// The buses the transformer sends to, for the rules' check.
    buses: BTreeSet<String>,
    /// The Kinesis streams checked already.
    streams: BTreeSet<String>,
}

impl Checker<'_> {
    fn push(&mut self, finding: Finding) {
        self.report.findings.push(finding);
    }

    async fn capture(&mut self) {
        let config = self.config;
        let Some(settings) = self.found(
            "capture settings",
            CaptureSettings::from_config(config),
            |_| "debezium.source.* read".to_owned(),
        ) else {
            return;
        };
        let (findings, tables) = tokio::task::block_in_place(|| capture::preflight(&settings));
        self.report.findings.extend(findings);
        self.transforms(&settings);
        if stages::stdout_sink(config) {
            return;
        }
        let Some(kinesis) = self.found(
            "Kinesis sink settings",
            KinesisSettings::from_config(config),
            |_| "read".to_owned(),
        ) else {
            return;
        };
        let Some(mapper) = self.plugin(Kind::Mapper, Mapper::load) else {
            return;
        };
        let client = aws_sdk_kinesis::Client::new(&aws::kinesis_sdk_config(config).await);
        let mut worker = mapper.worker();
        let mut streams = BTreeSet::new();
        for table in &tables {
            let subject = format!("mapper on {}.{}", table.schema, table.name);
            let name = worker.stream_name(&MapperTable {
                server: settings.prefix.clone(),
                database: settings.database.clone(),
                schema: table.schema.clone(),
                name: table.name.clone(),
                destination: spillway_mapper::stream_name(
                    &settings.prefix,
                    &table.schema,
                    &table.name,
                ),
            });
            if let Some(stream) = self.found(&subject, name, String::clone) {
                streams.insert(stream);
            }
        }
        if let Oversize::DeadLetter(stream) = &kinesis.oversize {
            streams.insert(stream.clone());
        }
        streams.extend(capture::other_topics(config));
        for stream in streams {
            self.streams.insert(stream.clone());
            let subject = format!("Kinesis stream {stream}");
            self.push(match aws::kinesis_stream_exists(&client, &stream).await {
                Ok(true) => Finding::ok(&subject, "exists"),
                Ok(false) if kinesis.auto_create => Finding::ok(
                    &subject,
                    "will be created (spillway.kinesis.auto.create.streams=true)",
                ),
                Ok(false) => Finding::problem(&subject, missing_stream(&stream)),
                Err(e) => Finding::problem(&subject, format!("{e:#}")),
            });
        }
    }

    async fn forward(&mut self) {
        let config = self.config;
        let Some(settings) = self.found(
            "forward settings",
            ForwardSettings::from_config(config),
            |_| "spillway.forward.* read".to_owned(),
        ) else {
            return;
        };
        let Some(transformer) = self.plugin(Kind::Transformer, Transformer::load) else {
            return;
        };
        let aws = aws::sdk_config(config).await;
        let kinesis = aws_sdk_kinesis::Client::new(&aws);
        let eventbridge = aws_sdk_eventbridge::Client::new(&aws);
        let mut worker = transformer.worker();
        for stream in &settings.streams {
            let subject = format!("Kinesis stream {stream}");
            if self.streams.insert(stream.clone()) {
                self.push(match aws::kinesis_stream_exists(&kinesis, stream).await {
                    Ok(true) => Finding::ok(&subject, "exists"),
                    Ok(false) => Finding::problem(&subject, missing_stream(stream)),
                    Err(e) => Finding::problem(&subject, format!("{e:#}")),
                });
            }
            let subject = format!("transformer on {stream}");
            let events = worker.transform(&[sample_record(stream)]);
            let described = |events: &Vec<BusEvent>| {
                let events: Vec<String> = events
                    .iter()
                    .map(|e| format!("{} to bus {}", e.detail_type, e.bus_name))
                    .collect();
                format!("a sample change event becomes {}", events.join(", "))
            };
            let Some(events) = self.found(&subject, events, described) else {
                continue;
            };
            self.buses.extend(events.into_iter().map(|e| e.bus_name));
        }
        for bus in self.buses.clone() {
            let subject = format!("EventBridge bus {bus}");
            let described = eventbridge.describe_event_bus().name(&bus).send().await;
            self.push(match described {
                Ok(_) => Finding::ok(&subject, "exists"),
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|e| e.is_resource_not_found_exception()) =>
                {
                    Finding::problem(
                        &subject,
                        "does not exist: create it (`spillway provision --config FILE`) or \
                         send events to an existing bus (the transformer's \
                         spillway.transformer.config.bus.* settings)",
                    )
                }
                Err(e) => Finding::problem(
                    &subject,
                    aws_sdk_eventbridge::error::DisplayErrorContext(e).to_string(),
                ),
            });
        }
        if let Some(queue) = &settings.on_failure_queue {
            let sqs = aws_sdk_sqs::Client::new(&aws);
            let found = aws::queue_url(&sqs, queue, "spillway.forward.on.failure.queue").await;
            self.found(&format!("on-failure queue {queue}"), found, |_| {
                "exists".to_owned()
            });
        }
    }

    async fn consume(&mut self) {
        let config = self.config;
        let Some(settings) = self.found(
            "consume settings",
            ConsumeSettings::from_config(config),
            |_| "spillway.consumer.* read".to_owned(),
        ) else {
            return;
        };
        if self.plugin(Kind::Consumer, Consumer::load).is_none() {
            return;
        }
        let aws = aws::sdk_config(config).await;
        let sqs = aws_sdk_sqs::Client::new(&aws);
        let subject = format!("SQS queue {}", settings.queue);
        let url = aws::queue_url(&sqs, &settings.queue, "spillway.consumer.queue").await;
        let Some(url) = self.found(&subject, url, |_| "exists".to_owned()) else {
            return;
        };
        let attributes = sqs
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::All)
            .send()
            .await;
        let attributes = match attributes {
            Ok(out) => out.attributes.unwrap_or_default(),
            Err(e) => {
                self.push(Finding::problem(
                    &subject,
                    aws_sdk_sqs::error::DisplayErrorContext(e).to_string(),
                ));
                return;
            }
        };
        use aws_sdk_sqs::types::QueueAttributeName as Name;
        if !attributes.contains_key(&Name::RedrivePolicy) {
            self.push(Finding::warning(
                &subject,
                "has no redrive policy: a message the consumer rejects comes back forever \
                 instead of reaching a dead-letter queue (`spillway provision` sets one up)",
            ));
        }
        let Some(arn) = attributes.get(&Name::QueueArn) else {
            return;
        };
        let eventbridge = aws_sdk_eventbridge::Client::new(&aws);
        for bus in self.buses.clone() {
            let subject = format!("rules of bus {bus}");
            let rules = eventbridge
                .list_rule_names_by_target()
                .target_arn(arn)
                .event_bus_name(&bus)
                .send()
                .await;
            self.push(match rules {
                Ok(out) if !out.rule_names().is_empty() => Finding::ok(
                    &subject,
                    format!(
                        "{} sending events to the queue",
                        out.rule_names().join(", ")
                    ),
                ),
                Ok(_) => Finding::problem(
                    &subject,
                    format!(
                        "no rule sends this bus's events to {}: add one (`spillway provision \
                         --config FILE` does)",
                        settings.queue
                    ),
                ),
                Err(e) => Finding::problem(
                    &subject,
                    aws_sdk_eventbridge::error::DisplayErrorContext(e).to_string(),
                ),
            });
        }
    }

    /// Adds the finding of `result` (see [`Finding::of`]); its value when it passed.
    fn found<T>(
        &mut self,
        subject: &str,
        result: Result<T, impl fmt::Display>,
        ok: impl FnOnce(&T) -> String,
    ) -> Option<T> {
        let (finding, value) = Finding::of(subject, result, ok);
        self.push(finding);
        value
    }

    /// Loads each transform of the chain and runs it on a sample change
    /// event, with a finding each.
    fn transforms(&mut self, settings: &CaptureSettings) {
        for step in &settings.transforms {
            let subject = format!("transform '{}'", step.name);
            let tried = Transform::load(self.runtime, step.spec.clone())
                .map_err(anyhow::Error::from)
                .and_then(|transform| {
                    let mut worker = transform.worker();
                    let sample = [sample_change(&settings.prefix)];
                    let made = tokio::task::block_in_place(|| worker.apply(&sample))?;
                    Ok(made.into_iter().flatten().count())
                });
            self.found(&subject, tried, |made| {
                format!("loads, and makes {made} record(s) of a sample insert")
            });
        }
    }

    /// Loads the configured plugin of `kind`, with a finding either way.
    fn plugin<P>(
        &mut self,
        kind: Kind,
        load: impl FnOnce(&Runtime, PluginSpec) -> Result<P, PluginError>,
    ) -> Option<P> {
        let (of, kind) = (kind, kind.name());
        let subject = format!("{kind} plugin");
        let loaded = plugins::spec(self.config, of)
            .map_err(anyhow::Error::from)
            .and_then(|spec| {
                let name = match &spec.code {
                    Code::Default => "the built-in default".to_owned(),
                    Code::File(path) => path.display().to_string(),
                    Code::Bytes(_) => "a component in memory".to_owned(),
                };
                load(self.runtime, spec)
                    .map(|p| (p, name))
                    .map_err(anyhow::Error::from)
            });
        let described =
            |(_, name): &(P, String)| format!("{name} loads and implements the {kind} world");
        self.found(&subject, loaded, described)
            .map(|(plugin, _)| plugin)
    }
}

fn missing_stream(stream: &str) -> String {
    format!(
        "does not exist: create it (`spillway provision --config FILE`, or `aws kinesis \
         create-stream --stream-name {stream} --shard-count 1`)"
    )
}

/// A change event's payload as capture writes it (an insert of `{"id":1}`).
fn sample_payload() -> serde_json::Value {
    serde_json::json!({
        "before": null,
        "after": {"id": 1},
        "source": {"version": capture::VERSION, "connector": "postgresql", "snapshot": "false"},
        "op": "c",
        "ts_ms": 0
    })
}

/// A change record of table `public.sample`, for trying a transform.
fn sample_change(prefix: &str) -> ChangeRecord {
    ChangeRecord {
        destination: format!("{prefix}.public.sample"),
        key: Some(r#"{"id":1}"#.to_owned()),
        value: Some(sample_payload().to_string()),
        headers: Vec::new(),
        operation: Operation::Create,
        schema: "public".to_owned(),
        table: "sample".to_owned(),
        lsn: Some(0),
    }
}

/// A Kinesis record as capture writes them, for trying the transformer.
fn sample_record(stream: &str) -> StreamRecord {
    let event = serde_json::json!({"schema": null, "payload": sample_payload()});
    StreamRecord {
        stream_name: stream.to_owned(),
        shard_id: "shardId-000000000000".to_owned(),
        partition_key: r#"{"id":1}"#.to_owned(),
        sequence_number: "1".to_owned(),
        arrival_ms: 0,
        data: event.to_string().into_bytes(),
    }
}
