//! TLS to PostgreSQL (`debezium.source.database.sslmode`, `.sslrootcert`):
//! a cluster of its own with ssl on and a certificate made for the test;
//! capture verifies it and snapshots through it, and each way TLS can fail
//! is reported with what to change.

use std::path::Path;
use std::process::Command;

use support::{Cluster, capture_config, spillway};

mod support;

/// The port of the TLS cluster (scripts/test stops it too, should this test
/// be killed before it does).
const TLS_PORT: u16 = 54342;

/// A certificate authority (`ca.crt`) and a server certificate it signed
/// for 127.0.0.1 and localhost (`server.crt`, `server.key`) in `dir`, the key
/// readable by the server (which runs as `postgres` under root). Returns the
/// three paths.
fn certificates(dir: &Path) -> (String, String, String) {
    let path = |name: &str| dir.join(name).display().to_string();
    let run = |program: &str, args: &[&str]| {
        let output = Command::new(program).args(args).output().expect(program);
        assert!(output.status.success(), "{program} {args:?}: {output:?}");
    };
    let openssl = |args: &[&str]| run("openssl", args);
    let (ca_key, ca, key, csr, cert) = (
        path("ca.key"),
        path("ca.crt"),
        path("server.key"),
        path("server.csr"),
        path("server.crt"),
    );
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=spillway test authority",
        "-keyout",
        &ca_key,
        "-out",
        &ca,
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        &key,
        "-out",
        &csr,
    ]);
    let extensions = path("server.ext");
    std::fs::write(
        &extensions,
        "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n\
         extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n",
    )
    .expect("extensions");
    openssl(&[
        "x509",
        "-req",
        "-in",
        &csr,
        "-CA",
        &ca,
        "-CAkey",
        &ca_key,
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        &extensions,
        "-out",
        &cert,
    ]);
    run("chmod", &["755", &dir.display().to_string()]);
    run("chmod", &["600", &key]);
    if Command::new("id").arg("-u").output().expect("id").stdout == b"0\n" {
        run("chown", &["postgres:", &key, &cert]);
    }
    (ca, cert, key)
}

/// Capture of the TLS cluster with `verify-full` against the authority `root`.
fn verify_full(dir: &Path, root: &str) -> String {
    config(
        dir,
        TLS_PORT,
        &format!(
            "debezium.source.database.sslmode=verify-full\n\
             debezium.source.database.sslrootcert={root}"
        ),
    )
}

/// Capture of `public.tls_items`, once (`initial_only`), with `tls` settings.
fn config(dir: &Path, port: u16, tls: &str) -> String {
    let settings = format!(
        "debezium.source.table.include.list=public.tls_items\n\
         debezium.source.slot.name=tls_slot\n\
         debezium.source.snapshot.mode=initial_only\n\
         {tls}"
    );
    capture_config(dir, port, &format!("tls{port}"), &settings)
        .display()
        .to_string()
}

#[test]
fn capture_verifies_the_server_and_reads_through_tls() {
    let dir = tempfile::tempdir().expect("dir");
    let (ca, cert, key) = certificates(dir.path());
    let cluster = Cluster::start(
        TLS_PORT,
        &format!("-c ssl=on -c ssl_cert_file={cert} -c ssl_key_file={key}"),
    );
    let psql = |sql: &str| cluster.psql(sql);
    psql(
        "DROP TABLE IF EXISTS tls_items; CREATE TABLE tls_items (id int PRIMARY KEY, name text); INSERT INTO tls_items VALUES (1, 'over TLS')",
    );
    psql(
        "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = 'tls_slot'",
    );

    // verify-full with the test's own authority: the snapshot arrives.
    let verified = verify_full(dir.path(), &ca);
    let (ok, out, err) = spillway(&["capture", "--config", &verified], &[]);
    assert!(ok, "{err}");
    assert!(out.contains(r#""name":"over TLS""#), "{out}");
    let (ok, report, _) = spillway(&["check", "--config", &verified], &[]);
    assert!(
        report.contains("ok      PostgreSQL postgres@127.0.0.1:54342/postgres: connected"),
        "{report}"
    );
    // (The slot exists now; that is fine for check.)
    assert!(ok, "{report}");

    // verify-full with another authority, or none: refused, and said why.
    let other = dir.path().join("other");
    std::fs::create_dir(&other).expect("dir");
    let (other_ca, _, _) = certificates(&other);
    for root in [other_ca.as_str(), "/nonexistent/root.crt"] {
        let unverified = verify_full(dir.path(), root);
        let (ok, _, err) = spillway(&["capture", "--config", &unverified], &[]);
        assert!(!ok);
        assert!(
            err.contains(
                "hint: the server's certificate could not be verified: point \
                 debezium.source.database.sslrootcert"
            ),
            "{err}"
        );
    }
    psql("SELECT pg_drop_replication_slot('tls_slot')");
    drop(cluster);

    // The test's main cluster has no TLS: sslmode=require says so.
    let port: u16 = std::env::var("PGPORT")
        .expect("PGPORT: run through scripts/test")
        .parse()
        .expect("a port");
    let required = config(dir.path(), port, "debezium.source.database.sslmode=require");
    let (ok, _, err) = spillway(&["capture", "--config", &required], &[]);
    assert!(!ok);
    assert!(
        err.contains("does not support SSL")
            && err.contains("hint: the server does not accept TLS"),
        "{err}"
    );
}
