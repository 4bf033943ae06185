//! Running the real `spillway` binary in integration tests.

#![allow(dead_code, reason = "each test file uses a part")]

pub mod fault_proxy;
pub mod postgres;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// A wait that fails when what it waits for stops coming, not after a fixed
/// time: each step of progress (a count growing) gives it [`Wait::STALL`]
/// again, so a busy machine makes a test slower, not red. No wait lasts
/// longer than [`Wait::LONGEST`] in all.
pub struct Wait {
    started: Instant,
    last_progress: Instant,
    seen: usize,
}

impl Wait {
    /// How long a wait may go without progress.
    pub const STALL: Duration = Duration::from_secs(120);
    /// The longest a wait may last.
    pub const LONGEST: Duration = Duration::from_secs(900);

    /// A wait starting now.
    pub fn new() -> Self {
        Wait {
            started: Instant::now(),
            last_progress: Instant::now(),
            seen: 0,
        }
    }

    /// Whether to go on waiting, `seen` being how much of what is awaited
    /// came so far.
    pub fn goes_on(&mut self, seen: usize) -> bool {
        if seen > self.seen {
            self.seen = seen;
            self.last_progress = Instant::now();
        }
        self.last_progress.elapsed() < Self::STALL && self.started.elapsed() < Self::LONGEST
    }

    /// Why the wait ended, for its failure message.
    pub fn why(&self) -> String {
        format!(
            "no progress for {:.0} s, {:.0} s in all",
            self.last_progress.elapsed().as_secs_f64(),
            self.started.elapsed().as_secs_f64()
        )
    }
}

impl Default for Wait {
    fn default() -> Self {
        Self::new()
    }
}

/// A running `spillway <command> --config <file>`, its log in a file.
pub struct Spillway {
    child: Child,
    log: PathBuf,
    _dir: Option<tempfile::TempDir>,
}

impl Spillway {
    /// Starts `spillway <command> --config <config>`, logging into `dir`; `keep`
    /// is a directory to delete when this is dropped.
    pub fn start(
        command: &str,
        config: &Path,
        dir: &Path,
        keep: Option<tempfile::TempDir>,
    ) -> Self {
        Self::start_with_output(command, config, dir, keep, None)
    }

    /// As [`Spillway::start`], with standard output appended to `stdout`.
    pub fn start_with_output(
        command: &str,
        config: &Path,
        dir: &Path,
        keep: Option<tempfile::TempDir>,
        stdout: Option<&Path>,
    ) -> Self {
        static RUNS: AtomicUsize = AtomicUsize::new(0);
        let log = dir.join(format!(
            "{command}-{}.log",
            RUNS.fetch_add(1, Ordering::Relaxed)
        ));
        let mut process = Command::new(env!("CARGO_BIN_EXE_spillway"));
        process
            .args([command, "--config"])
            .arg(config)
            .env("SPILLWAY_PLUGINS_CACHE_DIR", "none")
            .stdout(match stdout {
                Some(path) => Stdio::from(
                    std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(path)
                        .expect("output file"),
                ),
                None => Stdio::null(),
            });
        let mut spillway = Self::spawn(process, &log);
        spillway._dir = keep;
        spillway
    }

    /// Starts `process` (a `spillway` command), its standard error logged
    /// at `log` (at level info unless RUST_LOG is set on it).
    pub fn spawn(mut process: Command, log: &Path) -> Self {
        if !process.get_envs().any(|(name, _)| name == "RUST_LOG") {
            process.env("RUST_LOG", "info");
        }
        let child = process
            .stderr(std::fs::File::create(log).expect("log file"))
            .spawn()
            .expect("start spillway");
        Self {
            child,
            log: log.to_owned(),
            _dir: None,
        }
    }

    /// The log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until the log contains `needle` `count` times; fails when
    /// [`Wait`] says the wait stalled.
    pub fn wait_for(&mut self, needle: &str, count: usize) {
        let mut wait = Wait::new();
        loop {
            let seen = self.log().matches(needle).count();
            if seen >= count {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("spillway exited ({status}):\n{}", self.log());
            }
            assert!(
                wait.goes_on(seen),
                "waited for {count} x {needle:?}, saw {seen} ({}):\n{}",
                wait.why(),
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Sends SIGTERM and returns the complete log; the process must exit 0.
    pub fn terminate(mut self) -> String {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        let status = self.child.wait().expect("wait");
        let log = self.log();
        assert!(status.success(), "spillway exited with {status}:\n{log}");
        log
    }

    /// Kills the process without warning (SIGKILL).
    pub fn kill_9(mut self) {
        self.child.kill().expect("kill -9");
        self.child.wait().expect("wait");
    }

    /// The address of its health and metrics endpoint, once it listens.
    pub fn endpoint(&mut self) -> String {
        let marker = "health and metrics endpoint address=";
        self.wait_for(marker, 1);
        let log = self.log();
        let at = log.find(marker).expect("logged") + marker.len();
        log[at..]
            .split_whitespace()
            .next()
            .expect("an address")
            .to_owned()
    }

    /// Whether the process is still running.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits for the process to exit by itself: [`Wait::STALL`] at most
    /// (its log growing is progress), then it is killed and the test fails
    /// with its log.
    pub fn exit_status(&mut self) -> ExitStatus {
        let mut wait = Wait::new();
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            if !wait.goes_on(self.log().len()) {
                let _ = self.child.kill();
                panic!("spillway did not exit ({}):\n{}", wait.why(), self.log());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Spillway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `spillway <args>` to completion with `env` added (plugins compiled
/// afresh unless `env` names a cache directory); returns whether it
/// succeeded, its standard output and its standard error.
pub fn spillway(args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_spillway"))
        .args(args)
        .env("SPILLWAY_PLUGINS_CACHE_DIR", "none")
        .envs(env.iter().copied())
        .output()
        .expect("run spillway");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A PostgreSQL cluster of its own, started by `scripts/dev-env` on `port`
/// with extra server settings (`-c wal_level=replica`); stopped when dropped.
pub struct Cluster {
    port: u16,
    settings: String,
}

impl Cluster {
    /// Starts the cluster (creating it the first time).
    pub fn start(port: u16, settings: &str) -> Self {
        let cluster = Cluster {
            port,
            settings: settings.to_owned(),
        };
        cluster.dev_env("start");
        // A cluster of a test's own outlives the test: a slot an earlier run
        // left is no one's, and capture would refuse a slot its state file
        // knows nothing of.
        cluster.psql("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots");
        cluster
    }

    /// Stops it as `pg_ctl stop -m fast` does; panics if it does not stop
    /// within pg_ctl's minute.
    pub fn stop(&self) {
        self.dev_env("stop");
    }

    /// Starts it again after [`Cluster::stop`].
    pub fn start_again(&self) {
        self.dev_env("start");
    }

    /// Runs `sql` in its `postgres` database; panics if it fails.
    pub fn psql(&self, sql: &str) {
        let output = Command::new("psql")
            .args([
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                "postgres",
                "-c",
                sql,
            ])
            .env("PGHOST", "127.0.0.1")
            .env("PGPORT", self.port.to_string())
            .env("PGUSER", "postgres")
            .env("PGPASSWORD", "postgres")
            .output()
            .expect("psql");
        assert!(output.status.success(), "{sql}: {output:?}");
    }

    /// A configuration capturing its `postgres` database (see [`capture_config`]).
    pub fn capture_config(&self, dir: &Path, name: &str, extra: &str) -> PathBuf {
        capture_config(dir, self.port, name, extra)
    }

    fn dev_env(&self, command: &str) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/dev-env");
        let status = Command::new(script)
            .args([command, "postgres"])
            .env("DEV_PG_PORT", self.port.to_string())
            .env("DEV_PG_SETTINGS", &self.settings)
            .stdout(Stdio::null())
            .status()
            .expect("run scripts/dev-env");
        assert!(
            status.success(),
            "scripts/dev-env {command} postgres failed"
        );
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.dev_env("stop");
    }
}

/// Waits until `/health/ready` at `endpoint` answers `status` with a body
/// holding `needle`; fails, with `log()`, when [`Wait`] says the wait
/// stalled.
pub async fn readiness(endpoint: &str, status: u16, needle: &str, log: impl Fn() -> String) {
    let mut wait = Wait::new();
    loop {
        let (now, body) = http_get(endpoint, "/health/ready");
        if now == status && body.contains(needle) {
            return;
        }
        assert!(
            wait.goes_on(0),
            "/health/ready never answered {status} with {needle:?} ({}), last {now}: {body}\n{}",
            wait.why(),
            log()
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// The lines of a stage's `log` where Spillway itself panicked (a guest's
/// panic message, which the misbehaving fixture writes to its stderr and
/// the host reports, does not count).
pub fn host_panics(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| l.contains("panicked at") && !l.contains("plugins/fixtures/misbehave"))
        .collect()
}

/// `GET http://<address><path>`: the status code and the body.
pub fn http_get(address: &str, path: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address).expect("connect to the endpoint");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .expect("send the request");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .expect("read the response");
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {response}"));
    let body = response
        .split_once("\r\n\r\n")
        .map_or("", |(_, body)| body)
        .to_owned();
    (status, body)
}

/// The value of the Prometheus sample `series` (name and labels as
/// rendered) in `metrics`, if present.
pub fn metric(metrics: &str, series: &str) -> Option<f64> {
    metrics.lines().find_map(|line| {
        let value = line.strip_prefix(series)?.strip_prefix(' ')?;
        value.trim().parse().ok()
    })
}

/// A configuration `<dir>/<name>.properties` that runs capture alone on the
/// `postgres` database of the PostgreSQL on `port` (user and password
/// `postgres`, as scripts/dev-env makes them) to the stdout sink, topic
/// prefix `name`, plus `extra` lines.
pub fn capture_config(dir: &Path, port: u16, name: &str, extra: &str) -> PathBuf {
    let path = dir.join(format!("{name}.properties"));
    std::fs::write(
        &path,
        format!(
            "debezium.source.database.hostname=127.0.0.1\n\
             debezium.source.database.port={port}\n\
             debezium.source.database.user=postgres\n\
             debezium.source.database.password=postgres\n\
             debezium.source.database.dbname=postgres\n\
             debezium.source.topic.prefix={name}\n\
             debezium.sink.type=stdout\n\
             spillway.capture.state.file={}\n\
             spillway.run.stages=capture\n\
             {extra}\n",
            dir.join(format!("{name}-state.json")).display()
        ),
    )
    .expect("write configuration");
    path
}

/// Stops the test unless the AWS emulator is configured (`AWS_ENDPOINT_URL`),
/// saying how to get it.
pub fn require_aws_emulator() {
    assert!(
        std::env::var("AWS_ENDPOINT_URL").is_ok(),
        "this test needs the AWS emulator: run it through scripts/test, or \
         `scripts/dev-env start` and `eval \"$(scripts/dev-env env)\"` first"
    );
}
