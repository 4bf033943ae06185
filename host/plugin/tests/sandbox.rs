//! A guest cannot open a file, read the host's environment or arguments, or
//! open a socket, even to a listener on the loopback interface.

mod support;

use std::net::TcpListener;

use spillway_plugin::transformer::{StreamRecord, Transformer};
use support::{misbehave, runtime};

#[test]
fn a_guest_reaches_no_file_environment_or_network() {
    // Something to find if the sandbox leaked.
    let listener = TcpListener::bind("127.0.0.1:0").expect("listener");
    listener.set_nonblocking(true).expect("nonblocking");
    let addr = listener.local_addr().expect("addr").to_string();
    assert!(
        std::env::vars().count() > 0,
        "the host itself has an environment"
    );

    let plugin = Transformer::load(&runtime(), misbehave(&[("probe-addr", &addr)])).expect("load");
    let record = StreamRecord {
        stream_name: "s".into(),
        shard_id: "shardId-000000000000".into(),
        partition_key: "probe".into(),
        sequence_number: "1".into(),
        arrival_ms: 0,
        data: b"{}".to_vec(),
    };
    let events = plugin.worker().transform(&[record]).expect("probe runs");
    let report: serde_json::Value = serde_json::from_str(&events[0].detail).expect("report");

    for what in ["file", "dir", "socket"] {
        let seen = report[what].as_str().expect("text");
        assert!(seen.starts_with("denied"), "{what}: {seen}");
    }
    assert_eq!(report["env"], serde_json::json!([]), "environment leaked");
    assert_eq!(report["args"], 0, "arguments leaked");
    // The socket was refused by the sandbox, not for lack of socket support.
    let socket = report["socket"].as_str().unwrap_or_default().to_lowercase();
    assert!(
        socket.contains("permission") || socket.contains("access") || socket.contains("denied:"),
        "{socket}"
    );
    assert!(listener.accept().is_err(), "the guest reached the listener");
}
