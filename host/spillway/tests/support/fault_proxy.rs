//! A fault-injecting HTTP proxy in front of the AWS emulator: Kinesis
//! PutRecords calls are throttled whole or stored only in part, as Kinesis
//! does under load, and EventBridge PutEvents, Kinesis PutRecords and SQS
//! ReceiveMessage calls are answered 503 during an outage; every other
//! request passes through unchanged.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the proxy did so far.
#[derive(Default)]
pub struct Faults {
    /// PutRecords calls answered with a throttling error.
    pub throttled: AtomicUsize,
    /// Records reported failed inside calls that stored the others.
    pub failed_records: AtomicUsize,
    /// PutEvents, PutRecords and ReceiveMessage calls answered 503 during an
    /// outage.
    pub unavailable: AtomicUsize,
    /// When each GetRecords call passed through.
    pub reads: Mutex<Vec<Instant>>,
    calls: AtomicUsize,
    outage: AtomicBool,
    /// Calls an outage of a number of calls still answers 503.
    outage_calls: AtomicUsize,
}

impl Faults {
    /// Answers every PutEvents, PutRecords and ReceiveMessage call 503 until
    /// [`Faults::end_outage`]: an outage that lasts as long as a test needs
    /// to see what it causes, however busy the machine.
    pub fn begin_outage(&self) {
        self.outage.store(true, Ordering::SeqCst);
    }

    /// Ends an outage begun by [`Faults::begin_outage`].
    pub fn end_outage(&self) {
        self.outage.store(false, Ordering::SeqCst);
    }

    /// Answers the next `calls` PutEvents, PutRecords and ReceiveMessage
    /// calls 503, however long they take to come: an outage that a slow
    /// start on a busy machine cannot miss.
    pub fn outage_of_calls(&self, calls: usize) {
        self.outage_calls.store(calls, Ordering::SeqCst);
    }

    /// Whether a call now meets an outage (one of an outage of calls is used up).
    fn in_outage(&self) -> bool {
        let by_calls = self
            .outage_calls
            .try_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        by_calls || self.outage.load(Ordering::SeqCst)
    }
}

/// Starts the proxy in front of the AWS emulator (`AWS_ENDPOINT_URL`);
/// returns its address and its counters. Of the first `faulty_calls`
/// PutRecords calls, every third is throttled and the others fail every
/// other record.
pub async fn start(faulty_calls: usize) -> (String, Arc<Faults>) {
    let upstream = std::env::var("AWS_ENDPOINT_URL")
        .expect("the emulator's endpoint, AWS_ENDPOINT_URL")
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address").to_string();
    let faults = Arc::new(Faults::default());
    let shared = faults.clone();
    tokio::spawn(async move {
        loop {
            let Ok((client, _)) = listener.accept().await else {
                return;
            };
            let upstream = upstream.clone();
            let faults = shared.clone();
            tokio::spawn(async move {
                let _ = serve(client, &upstream, &faults, faulty_calls).await;
            });
        }
    });
    (address, faults)
}

/// One HTTP/1.1 message: head (start line and headers) and body.
struct Message {
    head: String,
    body: Vec<u8>,
}

impl Message {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim().eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }

    fn with_body(&self, body: Vec<u8>) -> Vec<u8> {
        let head: String = self
            .head
            .lines()
            .filter(|l| !l.to_ascii_lowercase().starts_with("content-length"))
            .map(|l| format!("{l}\r\n"))
            .collect();
        let mut out = format!("{head}content-length: {}\r\n\r\n", body.len()).into_bytes();
        out.extend_from_slice(&body);
        out
    }
}

async fn read_message(
    stream: &mut TcpStream,
    buffer: &mut Vec<u8>,
) -> std::io::Result<Option<Message>> {
    loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).into_owned();
            let length = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.trim()
                        .eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse().ok())?
                })
                .unwrap_or(0);
            while buffer.len() < end + 4 + length {
                let mut chunk = [0u8; 65536];
                let n = stream.read(&mut chunk).await?;
                if n == 0 {
                    return Ok(None);
                }
                buffer.extend_from_slice(&chunk[..n]);
            }
            let body = buffer[end + 4..end + 4 + length].to_vec();
            buffer.drain(..end + 4 + length);
            return Ok(Some(Message { head, body }));
        }
        let mut chunk = [0u8; 65536];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
}

async fn forward(upstream: &str, request: &[u8]) -> std::io::Result<Message> {
    let mut server = TcpStream::connect(upstream).await?;
    server.write_all(request).await?;
    let mut buffer = Vec::new();
    read_message(&mut server, &mut buffer)
        .await?
        .ok_or_else(|| std::io::Error::other("upstream closed"))
}

fn respond(status: &str, body: &Value) -> Vec<u8> {
    let body = body.to_string();
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/x-amz-json-1.1\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

async fn serve(
    mut client: TcpStream,
    upstream: &str,
    faults: &Faults,
    faulty_calls: usize,
) -> std::io::Result<()> {
    let mut buffer = Vec::new();
    while let Some(request) = read_message(&mut client, &mut buffer).await? {
        let put_records = request
            .header("x-amz-target")
            .is_some_and(|t| t.ends_with(".PutRecords"));
        let call = if put_records {
            faults.calls.fetch_add(1, Ordering::SeqCst)
        } else {
            usize::MAX
        };
        let put_events = request
            .header("x-amz-target")
            .is_some_and(|t| t.ends_with(".PutEvents"));
        if request
            .header("x-amz-target")
            .is_some_and(|t| t.ends_with(".GetRecords"))
        {
            faults
                .reads
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(Instant::now());
        }
        let receive = request
            .header("x-amz-target")
            .is_some_and(|t| t.ends_with(".ReceiveMessage"));
        let reply = if (put_events || put_records || receive) && faults.in_outage() {
            faults.unavailable.fetch_add(1, Ordering::SeqCst);
            respond(
                "503 Service Unavailable",
                &json!({"__type": "ServiceUnavailable", "message": "outage"}),
            )
        } else if call < faulty_calls && call % 3 == 0 {
            faults.throttled.fetch_add(1, Ordering::SeqCst);
            respond(
                "400 Bad Request",
                &json!({"__type": "ProvisionedThroughputExceededException", "message": "Rate exceeded for shard"}),
            )
        } else if call < faulty_calls {
            partial(&request, upstream, faults).await?
        } else {
            let response = forward(upstream, &request.with_body(request.body.clone())).await?;
            response.with_body(response.body.clone())
        };
        client.write_all(&reply).await?;
    }
    Ok(())
}

/// Stores every other record of a PutRecords call and reports the rest failed.
async fn partial(request: &Message, upstream: &str, faults: &Faults) -> std::io::Result<Vec<u8>> {
    let mut body: Value = serde_json::from_slice(&request.body).map_err(std::io::Error::other)?;
    let records = body["Records"].as_array().cloned().unwrap_or_default();
    let kept: Vec<Value> = records.iter().step_by(2).cloned().collect();
    body["Records"] = Value::Array(kept);
    let response = forward(upstream, &request.with_body(body.to_string().into_bytes())).await?;
    let stored: Value = serde_json::from_slice(&response.body).map_err(std::io::Error::other)?;
    let mut stored = stored["Records"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter();
    let mut results = Vec::new();
    let mut failed = 0;
    for i in 0..records.len() {
        if i % 2 == 0 {
            results.push(stored.next().unwrap_or(Value::Null));
        } else {
            failed += 1;
            results.push(json!({
                "ErrorCode": "ProvisionedThroughputExceededException",
                "ErrorMessage": "Rate exceeded for shard",
            }));
        }
    }
    faults.failed_records.fetch_add(failed, Ordering::SeqCst);
    Ok(respond(
        "200 OK",
        &json!({"FailedRecordCount": failed, "Records": results}),
    ))
}
