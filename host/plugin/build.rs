//! Builds the guest plugins (the defaults the host embeds, and the test
//! fixtures) for `wasm32-wasip2`, and tells the crate where they are.
//!
//! The guests are members of this workspace, so they share its lock file; they
//! are built by a nested cargo into `<target dir>/wasm-plugins`, which keeps that
//! build incremental and out of the way of the outer build's lock.

use std::path::{Path, PathBuf};
use std::process::Command;

const GUESTS: &[&str] = &[
    "spillway-mapper",
    "spillway-transformer",
    "spillway-consumer",
    "spillway-transforms",
    "spillway-fixture-misbehave",
    "spillway-fixture-future-version",
    "spillway-fixture-contract-0-1",
    "spillway-example-pattern-mapper",
    "spillway-example-rust-filter",
];

fn main() {
    let manifest_dir = PathBuf::from(env("CARGO_MANIFEST_DIR"));
    let workspace = manifest_dir.join("../..");
    for input in ["wit", "plugins", "Cargo.lock"] {
        println!("cargo:rerun-if-changed={}", workspace.join(input).display());
    }

    let target_dir = outer_target_dir(Path::new(&env("OUT_DIR"))).join("wasm-plugins");
    let mut cargo = Command::new(env("CARGO"));
    cargo
        .current_dir(&workspace)
        .args(["build", "--target", "wasm32-wasip2", "--profile", "plugin"])
        .arg("--target-dir")
        .arg(&target_dir);
    for guest in GUESTS {
        cargo.args(["-p", guest]);
    }
    // What the outer build set for the host must not leak into the guests' build
    // (clippy's driver, host RUSTFLAGS, a forced target).
    for var in [
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_BUILD_TARGET",
        "CARGO_TARGET_DIR",
        "CARGO_PRIMARY_PACKAGE",
    ] {
        cargo.env_remove(var);
    }
    let status = cargo
        .status()
        .expect("cannot run cargo to build the guest plugins");
    assert!(
        status.success(),
        "building the guest plugins failed; is the wasm32-wasip2 target installed? \
         (`rustup target add wasm32-wasip2`; rust-toolchain.toml asks for it)"
    );
    let out = target_dir.join("wasm32-wasip2").join("plugin");
    println!("cargo:rustc-env=SPILLWAY_PLUGIN_DIR={}", out.display());
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("cargo did not set {name}"))
}

/// The outer build's target directory: the nearest ancestor of OUT_DIR that cargo
/// marked with CACHEDIR.TAG.
fn outer_target_dir(out_dir: &Path) -> PathBuf {
    out_dir
        .ancestors()
        .find(|dir| dir.join("CACHEDIR.TAG").is_file())
        .unwrap_or(out_dir)
        .to_path_buf()
}
