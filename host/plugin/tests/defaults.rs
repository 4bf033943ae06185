//! The built-in default plugins, run by the real host, reproduce the reference
//! pipeline: Debezium's stream names, the Lambda's events, the consumer's verdicts.

mod support;

use spillway_plugin::PluginSpec;
use spillway_plugin::consumer::{Consumer, Message, Outcome};
use spillway_plugin::mapper::Mapper;
use spillway_plugin::transformer::{StreamRecord, Transformer};
use support::{runtime, settings};

#[test]
fn the_default_mapper_names_streams_like_debezium() {
    let mut mapper = Mapper::load(&runtime(), PluginSpec::default_plugin())
        .expect("load")
        .worker();
    let mut table = support::table("inventory", "customers");
    assert_eq!(
        mapper.stream_name(&table).expect("name"),
        "kinesis.inventory.customers"
    );
    // A destination a transform chose is the stream, as Debezium Server's
    // default StreamNameMapper has it.
    table.destination = "kinesis.inventory.all_customers".into();
    assert_eq!(
        mapper.stream_name(&table).expect("name"),
        "kinesis.inventory.all_customers"
    );
}

fn record(stream: &str, data: &str) -> StreamRecord {
    StreamRecord {
        stream_name: stream.into(),
        shard_id: "shardId-000000000000".into(),
        partition_key: "{\"id\":101}".into(),
        sequence_number: "1".into(),
        arrival_ms: 1_700_000_000_000,
        data: data.as_bytes().to_vec(),
    }
}

#[test]
fn the_default_transformer_routes_like_the_reference_lambda() {
    let mut spec = PluginSpec::default_plugin();
    spec.settings = settings(&[
        (
            "detail-type.kinesis.inventory.products",
            "ProductDataChangeEvent",
        ),
        ("bus.kinesis.inventory.products", "products"),
        (
            "detail-type.kinesis.inventory.customers",
            "CustomerDataChangeEvent",
        ),
        ("bus.kinesis.inventory.customers", "customers"),
    ]);
    let mut transformer = Transformer::load(&runtime(), spec).expect("load").worker();
    let product = r#"{"schema":{},"payload":{"op":"c","after":{"id":101}}}"#;
    let customer = r#"{"schema":{},"payload":{"op":"d","before":{"id":1001}}}"#;
    let events = transformer
        .transform(&[
            record("kinesis.inventory.products", product),
            record("kinesis.inventory.customers", customer),
        ])
        .expect("transform");
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].source, "kinesis.inventory.products");
    assert_eq!(events[0].detail_type, "ProductDataChangeEvent");
    assert_eq!(events[0].bus_name, "products");
    assert_eq!(
        events[0].detail, product,
        "the detail must be the event, unchanged"
    );
    assert_eq!(
        events[0].time, None,
        "the host stamps the time of publication"
    );
    assert_eq!(events[1].detail_type, "CustomerDataChangeEvent");
    assert_eq!(events[1].bus_name, "customers");
    assert_eq!(events[1].detail, customer);

    let error = transformer
        .transform(&[record("kinesis.inventory.orders", product)])
        .expect_err("unknown stream");
    let text = error.to_string();
    assert!(
        text.contains("'detail-type.kinesis.inventory.orders'"),
        "{text}"
    );
}

#[test]
fn the_default_consumer_acks_change_events_and_rejects_anything_else() {
    let mut consumer = Consumer::load(&runtime(), PluginSpec::default_plugin())
        .expect("load")
        .worker();
    let message = |body: &str| Message {
        id: "m-1".into(),
        body: body.into(),
        group_id: Some("Group1".into()),
        receive_count: 1,
        attributes: Vec::new(),
    };
    let event = r#"{"version":"0","id":"x","detail-type":"ProductDataChangeEvent",
        "source":"kinesis.inventory.products","detail":{"schema":{},"payload":
        {"before":null,"after":{"id":101,"name":"scooter"},"op":"c"}}}"#;
    assert_eq!(
        consumer.handle(&message(event)).expect("handle"),
        Outcome::Ack
    );
    match consumer.handle(&message("{\"hello\":1}")).expect("handle") {
        Outcome::Reject(reason) => assert!(reason.contains("detail-type"), "{reason}"),
        other => panic!("expected a rejection, got {other:?}"),
    }
}
