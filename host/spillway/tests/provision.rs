//! `spillway provision` against a real AWS emulator (moto, started by
//! scripts/test): everything the configuration names is created, and a second
//! run changes nothing.

use std::process::Command;

use aws_sdk_sqs::types::QueueAttributeName;

fn provision(config: &std::path::Path) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_spillway"))
        .args(["provision", "--config"])
        .arg(config)
        .output()
        .expect("run spillway provision");
    assert!(
        output.status.success(),
        "provision failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provisions_the_reference_topology_once() {
    assert!(
        std::env::var("AWS_ENDPOINT_URL").is_ok(),
        "these tests need the AWS emulator: run them through scripts/test"
    );
    let unique = format!("prov{}", std::process::id());
    let dir = tempfile::tempdir().expect("dir");
    let config = dir.path().join("provision.properties");
    std::fs::write(
        &config,
        format!(
            "spillway.forward.streams={unique}.inventory.products,{unique}.inventory.customers\n\
             spillway.transformer.config.bus.{unique}.inventory.products={unique}-products\n\
             spillway.transformer.config.bus.{unique}.inventory.customers={unique}-customers\n\
             spillway.consumer.queue={unique}-data-change.fifo\n\
             debezium.source.topic.prefix={unique}\n\
             debezium.source.provide.transaction.metadata=true\n\
             debezium.source.heartbeat.interval.ms=10000\n"
        ),
    )
    .expect("config");

    // Two table streams, the transaction and heartbeat topics' streams, two
    // buses, two rules, the queue and its dead-letter queue.
    let first = provision(&config);
    assert_eq!(first.matches("created ").count(), 4 + 2 + 2 + 2, "{first}");
    for topic in [
        format!("Kinesis stream {unique}.transaction"),
        format!("Kinesis stream __debezium-heartbeat.{unique}"),
    ] {
        assert!(first.contains(&topic), "{topic} not in:\n{first}");
    }
    let second = provision(&config);
    assert!(
        !second.contains("created "),
        "nothing new the second time:\n{second}"
    );
    assert_eq!(second.matches("exists ").count(), 10, "{second}");

    let aws = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let kinesis = aws_sdk_kinesis::Client::new(&aws);
    for table in ["products", "customers"] {
        kinesis
            .describe_stream_summary()
            .stream_name(format!("{unique}.inventory.{table}"))
            .send()
            .await
            .expect("stream exists");
        let events = aws_sdk_eventbridge::Client::new(&aws);
        let targets = events
            .list_targets_by_rule()
            .rule("forward-to-sqs")
            .event_bus_name(format!("{unique}-{table}"))
            .send()
            .await
            .expect("rule exists");
        let target = &targets.targets()[0];
        assert!(
            target
                .arn()
                .ends_with(&format!("{unique}-data-change.fifo"))
        );
        assert_eq!(
            target.sqs_parameters().and_then(|p| p.message_group_id()),
            Some("Group1")
        );
    }
    let sqs = aws_sdk_sqs::Client::new(&aws);
    let url = sqs
        .get_queue_url()
        .queue_name(format!("{unique}-data-change.fifo"))
        .send()
        .await
        .expect("queue")
        .queue_url()
        .expect("url")
        .to_owned();
    let attributes = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
        .expect("attributes");
    let attributes = attributes.attributes().expect("attributes");
    let redrive = &attributes[&QueueAttributeName::RedrivePolicy];
    assert!(redrive.contains(&format!("{unique}-data-change-dlq.fifo")) && redrive.contains("10"));
    assert_eq!(attributes[&QueueAttributeName::FifoQueue], "true");
    assert!(attributes[&QueueAttributeName::Policy].contains("events.amazonaws.com"));
}
