//! The container files, as far as a machine without a Docker engine can take
//! them: every Spillway service of docker-compose.yml runs here with the
//! exact command and environment the file gives it (and the Dockerfile's
//! ENV and configuration path), its container host names pointed at the
//! test's PostgreSQL and moto. Provision must succeed, the pipeline and the
//! consumer must pass the Dockerfile's health check and carry a change to the
//! consumer's log. (scripts/test lints both files with hadolint and the
//! compose specification's schema before the tests run.)

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::postgres::Database;
use support::{Spillway, http_get};

mod support;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// docker-compose.yml as JSON (anchors and merge keys resolved), read with
/// the YAML library scripts/test installs in .venv-container.
fn compose() -> Value {
    let python = root().join(".venv-container/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run the tests through scripts/test, which installs it",
        python.display()
    );
    let output = Command::new(python)
        .args([
            "-c",
            "import json, sys; from ruamel.yaml import YAML; \
             print(json.dumps(YAML(typ='safe').load(open(sys.argv[1]))))",
        ])
        .arg(root().join("docker-compose.yml"))
        .output()
        .expect("read docker-compose.yml");
    assert!(output.status.success(), "{output:?}");
    serde_json::from_slice(&output.stdout).expect("compose as JSON")
}

/// What the runtime stage of the Dockerfile sets: its ENV, where it copies
/// `configs/`, and the URL its health check fetches.
struct Image {
    env: BTreeMap<String, String>,
    config_dir: String,
    health_url: String,
}

fn image() -> Image {
    let text = std::fs::read_to_string(root().join("Dockerfile")).expect("Dockerfile");
    let joined = text.replace("\\\n", " ");
    let mut env = BTreeMap::new();
    let mut config_dir = None;
    let mut health_url = None;
    for line in joined.lines().map(str::trim) {
        if let Some(pairs) = line.strip_prefix("ENV ") {
            for pair in pairs.split_whitespace() {
                let (name, value) = pair.split_once('=').expect("ENV name=value");
                env.insert(name.to_owned(), value.to_owned());
            }
        } else if let Some(copy) = line.strip_prefix("COPY configs/ ") {
            config_dir = Some(copy.trim().to_owned());
        } else if line.starts_with("HEALTHCHECK") {
            health_url = line
                .split('"')
                .find(|part| part.starts_with("http://"))
                .map(str::to_owned);
        }
    }
    Image {
        env,
        config_dir: config_dir.expect("the Dockerfile copies configs/"),
        health_url: health_url.expect("the Dockerfile has an HTTP health check"),
    }
}

/// A compose service's command and environment, made local: container
/// paths to the project's and the test's directories, container host names
/// to the test's services.
fn local_command(service: &Value, image: &Image, data: &Path, database: &str) -> Command {
    let args: Vec<String> = service["command"]
        .as_array()
        .expect("the service's command, as a list")
        .iter()
        .map(|a| {
            let a = a.as_str().expect("a string");
            match a.strip_prefix(&image.config_dir) {
                Some(file) => root().join("configs").join(file).display().to_string(),
                None => a.to_owned(),
            }
        })
        .collect();
    let mut env = image.env.clone();
    for (name, value) in service["environment"].as_object().expect("environment") {
        env.insert(name.clone(), value.as_str().expect("a string").to_owned());
    }
    let var = |name: &str| std::env::var(name).expect(name);
    let mut process = Command::new(env!("CARGO_BIN_EXE_spillway"));
    process.args(&args).current_dir(data);
    for (name, value) in env {
        let value = match (name.as_str(), value.as_str()) {
            ("DEBEZIUM_SOURCE_DATABASE_HOSTNAME", "postgres") => var("PGHOST"),
            ("DEBEZIUM_SOURCE_DATABASE_PORT", "5432") => var("PGPORT"),
            ("AWS_ENDPOINT_URL", "http://localstack:4566") => var("AWS_ENDPOINT_URL"),
            ("SPILLWAY_HTTP_ADDRESS", "0.0.0.0:9090") => "127.0.0.1:0".to_owned(),
            (_, v) if v.starts_with("/var/lib/spillway") => {
                v.replacen("/var/lib/spillway", &data.display().to_string(), 1)
            }
            (_, v) => v.to_owned(),
        };
        process.env(name, value);
    }
    // The test's own database and slot (slot names are per server) rather
    // than the compose file's inventory_db and debezium.
    process
        .env("DEBEZIUM_SOURCE_DATABASE_DBNAME", database)
        .env("DEBEZIUM_SOURCE_SLOT_NAME", database);
    process
}

/// Waits until the health check URL's path answers 200 on `endpoint`.
fn wait_healthy(spillway: &mut Spillway, health_url: &str) {
    let endpoint = spillway.endpoint();
    let path = &health_url[health_url.find("/health").expect("a health path")..];
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        assert!(spillway.running(), "spillway exited:\n{}", spillway.log());
        let (status, body) = http_get(&endpoint, path);
        if status == 200 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{path} still answers {status} {body}:\n{}",
            spillway.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn the_compose_services_run_as_written() {
    support::require_aws_emulator();
    let compose = compose();
    let image = image();
    let services = compose["services"].as_object().expect("services");
    for infrastructure in ["postgres", "localstack"] {
        assert!(services.contains_key(infrastructure), "{infrastructure}");
    }
    let db = Database::create("compose_inventory");
    db.sql_file(&root().join("configs/inventory.sql"));
    let data = tempfile::tempdir().expect("dir");
    let logs = data.path();

    let (provision, pipeline, consumer) = (
        &services["provision"],
        &services["pipeline"],
        &services["consumer"],
    );
    let output = local_command(provision, &image, data.path(), &db.name)
        .output()
        .expect("provision");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let mut pipeline = Spillway::spawn(
        local_command(pipeline, &image, data.path(), &db.name),
        &logs.join("pipeline.log"),
    );
    let mut consumer = Spillway::spawn(
        local_command(consumer, &image, data.path(), &db.name),
        &logs.join("consumer.log"),
    );
    wait_healthy(&mut pipeline, &image.health_url);
    wait_healthy(&mut consumer, &image.health_url);
    // The snapshot's ten rows, then a change.
    consumer.wait_for("deleted successfully", 10);
    db.sql("UPDATE inventory.products SET description = 'from compose' WHERE id = 101");
    consumer.wait_for("'description': 'from compose'", 1);
    let pipeline_log = pipeline.terminate();
    consumer.terminate();
    // The pipeline service runs capture and forward, not consume.
    assert!(pipeline_log.contains("capture stopped"), "{pipeline_log}");
    assert!(pipeline_log.contains("forward stopped"), "{pipeline_log}");
    assert!(!pipeline_log.contains("consume stopped"), "{pipeline_log}");
    // Relative paths of the configuration landed in the data directory.
    assert!(data.path().join("data/checkpoints").is_dir());
}
