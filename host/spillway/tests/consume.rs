//! `spillway consume` against a real SQS emulator (moto, started by
//! scripts/test or `scripts/dev-env start`, found through AWS_ENDPOINT_URL):
//! the real binary, real queues, the default plugin and compiled fixtures.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::QueueAttributeName;
use support::Spillway;

mod support;

/// An SQS client for the emulator the test environment runs.
async fn sqs() -> Client {
    support::require_aws_emulator();
    Client::new(&aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await)
}

/// A FIFO queue with content-based deduplication and a dead-letter queue after
/// `max_receives`; returns (queue URL, dead-letter queue URL).
async fn fifo_queue(sqs: &Client, name: &str, max_receives: u32) -> (String, String) {
    let unique = format!("{name}-{}", std::process::id());
    let dlq = sqs
        .create_queue()
        .queue_name(format!("{unique}-dlq.fifo"))
        .attributes(QueueAttributeName::FifoQueue, "true")
        .send()
        .await
        .expect("create the dead-letter queue");
    let dlq_url = dlq.queue_url().expect("url").to_owned();
    let dlq_arn = attribute(sqs, &dlq_url, QueueAttributeName::QueueArn).await;
    let redrive =
        format!(r#"{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":"{max_receives}"}}"#);
    let queue = sqs
        .create_queue()
        .queue_name(format!("{unique}.fifo"))
        .attributes(QueueAttributeName::FifoQueue, "true")
        .attributes(QueueAttributeName::ContentBasedDeduplication, "true")
        .attributes(QueueAttributeName::RedrivePolicy, redrive)
        .send()
        .await
        .expect("create the queue");
    (queue.queue_url().expect("url").to_owned(), dlq_url)
}

async fn attribute(sqs: &Client, url: &str, name: QueueAttributeName) -> String {
    let out = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(name.clone())
        .send()
        .await
        .expect("queue attributes");
    out.attributes()
        .and_then(|a| a.get(&name))
        .cloned()
        .unwrap_or_default()
}

/// Messages in the queue, visible or not.
async fn messages_in(sqs: &Client, url: &str) -> u64 {
    let mut total = 0;
    for name in [
        QueueAttributeName::ApproximateNumberOfMessages,
        QueueAttributeName::ApproximateNumberOfMessagesNotVisible,
    ] {
        total += attribute(sqs, url, name).await.parse::<u64>().unwrap_or(0);
    }
    total
}

/// Sends `bodies` to one message group, in order; returns the message ids.
async fn send(sqs: &Client, url: &str, group: &str, bodies: &[String]) -> Vec<String> {
    let mut ids = Vec::new();
    for body in bodies {
        let out = sqs
            .send_message()
            .queue_url(url)
            .message_group_id(group)
            .message_body(body)
            .send()
            .await
            .expect("send");
        ids.push(out.message_id().expect("id").to_owned());
    }
    ids
}

/// `spillway consume` on `queue_url` with `plugin` and `extra` settings.
fn consume(queue_url: &str, plugin: &str, extra: &str) -> Spillway {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("consume.properties");
    std::fs::write(
        &config,
        format!(
            "spillway.consumer.queue={queue_url}\nspillway.consumer.plugin={plugin}\n\
             spillway.consumer.wait.seconds=1\n{extra}\n"
        ),
    )
    .expect("config");
    let path = dir.path().to_owned();
    Spillway::start("consume", &config, &path, Some(dir))
}

/// Waits until the dead-letter queue `dlq` holds a message.
async fn wait_until_dead_lettered(consume: &Spillway, sqs: &Client, dlq: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while messages_in(sqs, dlq).await == 0 {
        assert!(
            Instant::now() < deadline,
            "nothing reached the dead-letter queue:\n{}",
            consume.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn fixture() -> String {
    Path::new(spillway_plugin::builtin::BUILD_DIR)
        .join("spillway_fixture_misbehave.wasm")
        .display()
        .to_string()
}

/// The sample change events, wrapped as EventBridge delivers them.
fn sample_bodies() -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plugins/samples/messages.json");
    let samples: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(path).expect("samples")).expect("JSON");
    samples[..6].iter().map(|m| m["body"].to_string()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_default_consumer_logs_the_reference_lines_and_deletes_each_message() {
    let sqs = sqs().await;
    let (url, _) = fifo_queue(&sqs, "reference-lines", 10).await;
    let ids = send(&sqs, &url, "Group1", &sample_bodies()).await;

    let mut consume = consume(&url, "default", "");
    consume.wait_for("deleted successfully.", ids.len());
    let log = consume.terminate();

    let product =
        "Received event detail-type: ProductDataChangeEvent, source: kinesis.inventory.products";
    let customer =
        "Received event detail-type: CustomerDataChangeEvent, source: kinesis.inventory.customers";
    assert_eq!(log.matches(product).count(), 3, "{log}");
    assert_eq!(log.matches(customer).count(), 3, "{log}");
    // The insert of product 106, line for line as the reference consumer logged it.
    for line in [
        format!("Message id '{}' - Event 'before': None", ids[0]),
        format!(
            "Message id '{}' - Event 'after': {{'id': 106, 'name': 'skateboard', 'description': \
             'A board with four wheels', 'created_at': 1732430000000000, 'modified_at': \
             1732430000000000}}",
            ids[0]
        ),
        format!("Message id '{}' - Event 'after': None", ids[2]),
        format!("Message id '{}' - Event 'before': None", ids[3]),
        format!("Message id '{}' - Event 'after': None", ids[5]),
    ] {
        assert!(log.contains(&line), "missing {line:?}:\n{log}");
    }
    // Handled in the order sent; each deleted (deletes are batched) after its lines.
    let position = |line: &str| {
        log.find(line)
            .unwrap_or_else(|| panic!("missing {line:?}:\n{log}"))
    };
    let handled_at: Vec<usize> = ids
        .iter()
        .map(|id| position(&format!("Message id '{id}' - Event 'before'")))
        .collect();
    assert!(handled_at.is_sorted(), "handled out of order:\n{log}");
    for id in &ids {
        let after = position(&format!("Message id '{id}' - Event 'after'"));
        assert!(after > position(&format!("Message id '{id}' - Event 'before'")));
        assert!(position(&format!("Message with id '{id}' deleted successfully.")) > after);
    }
    assert_eq!(messages_in(&sqs, &url).await, 0, "the queue must be empty");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invalid_body_is_rejected_until_it_reaches_the_dead_letter_queue() {
    let sqs = sqs().await;
    let (url, dlq) = fifo_queue(&sqs, "reject", 2).await;
    let ids = send(&sqs, &url, "Group1", &["{\"hello\": \"world\"}".to_owned()]).await;

    let mut consume = consume(&url, "default", "spillway.consumer.visibility.seconds=1");
    consume.wait_for("rejected by the consumer plugin", 2);
    wait_until_dead_lettered(&consume, &sqs, &dlq).await;
    let log = consume.terminate();
    assert!(
        log.contains(&format!(
            "Message id '{}' rejected by the consumer plugin: the body is not an EventBridge event",
            ids[0]
        )),
        "{log}"
    );
    assert!(log.contains("acked: 0,"), "never acknowledged:\n{log}");
    assert_eq!(messages_in(&sqs, &url).await, 0);
    assert_eq!(messages_in(&sqs, &dlq).await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_standard_queue_is_handled_in_parallel() {
    let sqs = sqs().await;
    let out = sqs
        .create_queue()
        .queue_name(format!("standard-{}", std::process::id()))
        .send()
        .await
        .expect("create the queue");
    let url = out.queue_url().expect("url").to_owned();
    for i in 1..=6 {
        sqs.send_message()
            .queue_url(&url)
            .message_body(format!("slow s{i}"))
            .send()
            .await
            .expect("send");
    }
    let mut consume = consume(&url, &fixture(), "spillway.consumer.workers=3");
    consume.wait_for("deleted successfully.", 6);
    let log = consume.terminate();
    let mut all = handled(&log);
    all.sort();
    let expected: Vec<String> = (1..=6).map(|i| format!("slow s{i}")).collect();
    assert_eq!(all, expected, "every message exactly once:\n{log}");
    // In parallel: a second message starts before the first one is done.
    let events: Vec<&str> = log
        .lines()
        .filter_map(|l| {
            if l.contains("fixture starts") {
                Some("start")
            } else if l.contains("fixture handled") {
                Some("end")
            } else {
                None
            }
        })
        .collect();
    assert!(
        events.windows(2).any(|w| w == ["start", "start"]),
        "no two messages were in hand at once: {events:?}"
    );
}

/// For each body in the log's `fixture handled` lines, in order.
fn handled(log: &str) -> Vec<String> {
    log.lines()
        .filter_map(|line| line.split("fixture handled '").nth(1))
        .filter_map(|rest| rest.split("' (delivery").next())
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_group_is_handled_in_order_while_groups_run_in_parallel() {
    let sqs = sqs().await;
    let (url, _) = fifo_queue(&sqs, "groups", 10).await;
    let groups = ["a", "b", "c"];
    let mut sent = HashMap::new();
    for group in groups {
        let bodies: Vec<String> = (1..=4).map(|i| format!("slow {group}{i}")).collect();
        send(&sqs, &url, group, &bodies).await;
        sent.insert(group, bodies);
    }
    let mut consume = consume(&url, &fixture(), "spillway.consumer.workers=3");
    consume.wait_for("deleted successfully.", 12);
    let log = consume.terminate();
    let order = handled(&log);
    for group in groups {
        let seen: Vec<&String> = order
            .iter()
            .filter(|b| b.starts_with(&format!("slow {group}")))
            .collect();
        let expected: Vec<&String> = sent[group].iter().collect();
        assert_eq!(seen, expected, "group {group} out of order:\n{log}");
    }
    // In parallel: some group's run is interrupted by another group's message.
    let group_of = |body: &String| body.chars().nth(5);
    let switches = order
        .windows(2)
        .filter(|w| group_of(&w[0]) != group_of(&w[1]))
        .count();
    assert!(
        switches > groups.len() - 1,
        "groups were handled one after the other: {order:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn retry_after_brings_the_message_back_then_it_is_deleted() {
    let sqs = sqs().await;
    let (url, _) = fifo_queue(&sqs, "retry", 10).await;
    let ids = send(&sqs, &url, "g", &["retry-once please".to_owned()]).await;
    let mut consume = consume(&url, &fixture(), "");
    consume.wait_for("deleted successfully.", 1);
    let log = consume.terminate();
    assert!(
        log.contains(&format!(
            "Message id '{}' will be delivered again in 1 s",
            ids[0]
        )),
        "{log}"
    );
    assert!(
        log.contains("fixture handled 'retry-once please' (delivery 2)"),
        "{log}"
    );
    assert!(
        !log.contains("(delivery 1)"),
        "the first delivery must not be acknowledged:\n{log}"
    );
    assert_eq!(messages_in(&sqs, &url).await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_mid_batch_loses_nothing_and_handles_nothing_twice() {
    let sqs = sqs().await;
    let (url, _) = fifo_queue(&sqs, "sigterm", 10).await;
    let bodies: Vec<String> = (1..=10).map(|i| format!("slow m{i:02}")).collect();
    send(&sqs, &url, "g", &bodies).await;

    let mut first = consume(&url, &fixture(), "");
    first.wait_for("fixture handled", 2);
    let first_log = first.terminate();
    let first_handled = handled(&first_log);
    assert!(
        first_handled.len() < bodies.len(),
        "stopped too late to test anything"
    );
    assert_eq!(
        first_log.matches("deleted successfully.").count(),
        first_handled.len(),
        "every message handled before the stop must be deleted:\n{first_log}"
    );
    assert_eq!(
        messages_in(&sqs, &url).await,
        (bodies.len() - first_handled.len()) as u64
    );

    let mut second = consume(&url, &fixture(), "");
    second.wait_for("deleted successfully.", bodies.len() - first_handled.len());
    let second_handled = handled(&second.terminate());
    let all: Vec<String> = first_handled.into_iter().chain(second_handled).collect();
    assert_eq!(all, bodies, "each message exactly once, in order");
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_handling_keeps_messages_invisible_so_no_competitor_handles_them_twice() {
    let sqs = sqs().await;
    let (url, _) = fifo_queue(&sqs, "extend", 10).await;
    // Ten 300 ms messages held by one consumer take 3 s, three visibility timeouts.
    let bodies: Vec<String> = (1..=10).map(|i| format!("slow x{i:02}")).collect();
    send(&sqs, &url, "g", &bodies).await;
    let settings = "spillway.consumer.visibility.seconds=1\nspillway.consumer.workers=1";
    let mut one = consume(&url, &fixture(), settings);
    one.wait_for("fixture handled", 1);
    let two = consume(&url, &fixture(), settings);
    let deadline = Instant::now() + Duration::from_secs(60);
    while messages_in(&sqs, &url).await > 0 {
        assert!(
            Instant::now() < deadline,
            "the queue did not drain:\n{}\n{}",
            one.log(),
            two.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (one, two) = (one.terminate(), two.terminate());
    let mut all: Vec<String> = handled(&one).into_iter().chain(handled(&two)).collect();
    all.sort();
    assert_eq!(all, bodies, "every message exactly once:\n{one}\n{two}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plugin_crash_counts_as_a_retry_and_never_deletes_the_message() {
    let sqs = sqs().await;
    let (url, dlq) = fifo_queue(&sqs, "crash", 2).await;
    let ids = send(&sqs, &url, "g", &["trap now".to_owned()]).await;
    let settings =
        "spillway.consumer.failure.retry.seconds=1\nspillway.consumer.visibility.seconds=2";
    let mut consume = consume(&url, &fixture(), settings);
    consume.wait_for("crashed", 2);
    wait_until_dead_lettered(&consume, &sqs, &dlq).await;
    let log = consume.terminate();
    let crash = format!(
        "Message id '{}' could not be handled: consumer plugin",
        ids[0]
    );
    assert!(log.contains(&crash), "{log}");
    assert!(
        log.contains("the fixture was told to trap"),
        "the plugin's stderr is reported:\n{log}"
    );
    // Counted here, tried again in place, then moved after the last attempt.
    assert!(log.contains("(attempt 1 of 2)"), "{log}");
    assert!(
        log.contains("given up on after 2 attempts, moved to the dead-letter queue"),
        "{log}"
    );
    assert!(log.contains("acked: 0,"), "never acknowledged:\n{log}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_poison_message_alone_reaches_the_dead_letter_queue_and_its_group_goes_on() {
    let sqs = sqs().await;
    let (url, dlq) = fifo_queue(&sqs, "poison", 3).await;
    // Queued while no consumer runs: the poison message first, then five
    // valid events, all in the reference's one message group.
    let mut bodies = vec!["poison {{{".to_owned()];
    bodies.extend(sample_bodies().into_iter().skip(1));
    let ids = send(&sqs, &url, "Group1", &bodies).await;

    let mut consume = consume(&url, "default", "");
    consume.wait_for("deleted successfully.", 5);
    wait_until_dead_lettered(&consume, &sqs, &dlq).await;
    let log = consume.terminate();
    for id in &ids[1..] {
        assert!(
            log.contains(&format!("Message with id '{id}' deleted successfully.")),
            "{id} was not handled:\n{log}"
        );
    }
    assert!(
        log.contains(&format!(
            "Message id '{}' rejected by the consumer plugin",
            ids[0]
        )),
        "{log}"
    );
    assert!(log.contains("given up on after 3 attempts"), "{log}");
    assert_eq!(messages_in(&sqs, &url).await, 0, "{log}");
    assert_eq!(messages_in(&sqs, &dlq).await, 1, "{log}");
    let moved = sqs
        .receive_message()
        .queue_url(&dlq)
        .message_attribute_names("All")
        .send()
        .await
        .expect("receive the dead letter");
    let moved = &moved.messages()[0];
    assert_eq!(moved.body(), Some("poison {{{"));
    let reason = moved
        .message_attributes()
        .and_then(|a| a.get("spillway-reason"))
        .and_then(|v| v.string_value())
        .unwrap_or_default();
    assert!(
        reason.contains("rejected by the consumer plugin"),
        "{reason}"
    );
    // Each message was received from the queue once: the poison message
    // was tried again in place, and the queue never delivered the group
    // again (which counted receives against the valid messages too).
    assert!(log.contains("received: 6,"), "{log}");
}

/// Every way a consumer plugin can misbehave (a trap, a hang past its time
/// limit, a memory hog, a flood of stderr before a trap, an answer the host
/// refuses), each message in a group of its own ahead of a valid one: each
/// is reported as a contained plugin error naming the plugin, given up on
/// alone (the dead-letter queue), and the valid messages are handled; the
/// process never panics.
#[tokio::test(flavor = "multi_thread")]
async fn every_misbehaving_consumer_is_contained_and_the_rest_flows() {
    let sqs = sqs().await;
    let (url, dlq) = fifo_queue(&sqs, "misbehaving", 2).await;
    let modes = ["trap", "hang", "hog", "flood", "bad-output"];
    for mode in modes {
        send(
            &sqs,
            &url,
            mode,
            &[format!("{mode} now"), format!("ok after {mode}")],
        )
        .await;
    }
    let mut consume = consume(
        &url,
        &fixture(),
        "spillway.consumer.timeout.ms=1500\nspillway.consumer.memory.mb=32\n\
         spillway.consumer.workers=5",
    );
    consume.wait_for("deleted successfully.", modes.len());
    let deadline = Instant::now() + Duration::from_secs(60);
    while messages_in(&sqs, &dlq).await < modes.len() as u64 {
        assert!(
            Instant::now() < deadline,
            "not every misbehaving message reached the dead-letter queue:\n{}",
            consume.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let log = consume.terminate();
    let handled = handled(&log);
    for mode in modes {
        assert!(
            handled.contains(&format!("ok after {mode}")),
            "the message after {mode} was not handled:\n{log}"
        );
    }
    for error in [
        "crashed",
        "timed out",
        "ran out of memory",
        "the fixture flooded its standard error",
        "returned an invalid result",
    ] {
        assert!(
            log.contains(error) && log.contains("spillway_fixture_misbehave"),
            "no contained error saying {error:?}:\n{log}"
        );
    }
    assert!(
        support::host_panics(&log).is_empty(),
        "consume panicked:\n{log}"
    );
    assert_eq!(messages_in(&sqs, &url).await, 0, "{log}");
}

/// An SQS outage longer than `spillway.consumer.stalled.after.seconds`:
/// consume reports itself stalled (readiness 503) while receiving fails,
/// ready again once it succeeds, and a message sent then is handled. The
/// outage lasts until the stall was seen (a fixed one could end, on a busy
/// machine, before two failures a second apart were logged).
#[tokio::test(flavor = "multi_thread")]
async fn an_sqs_outage_is_a_visible_stall_and_consume_recovers() {
    let sqs = sqs().await;
    let (url, _) = fifo_queue(&sqs, "outage", 10).await;
    let (proxy, faults) = support::fault_proxy::start(0).await;
    let mut consume = consume(
        &url,
        "default",
        &format!(
            "spillway.aws.endpoint=http://{proxy}\nspillway.http.address=127.0.0.1:0\n\
             spillway.consumer.stalled.after.seconds=1"
        ),
    );
    let endpoint = consume.endpoint();
    support::readiness(&endpoint, 200, "", || consume.log()).await;
    faults.begin_outage();
    support::readiness(&endpoint, 503, "stalled", || consume.log()).await;
    faults.end_outage();
    support::readiness(&endpoint, 200, "", || consume.log()).await;
    let ids = send(&sqs, &url, "Group1", &sample_bodies()[..1]).await;
    consume.wait_for("deleted successfully.", 1);
    let log = consume.terminate();
    assert!(log.contains(&ids[0]), "{log}");
    assert!(log.contains("stalled: receiving from SQS"), "{log}");
    assert!(log.contains("no longer stalled"), "{log}");
}
