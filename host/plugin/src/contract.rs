//! Load-time check that a component implements the world the host expects,
//! in a version of the contract the host speaks, with an error that says
//! what is missing rather than a linker message.

use wasmtime::Engine;
use wasmtime::component::Component;

/// The version of `spillway:plugin` this host speaks (`wit/plugin.wit`).
pub const VERSION: &str = "0.2.0";

/// The earlier version whose plugins this host still loads
/// (`wit/0.1.0/plugin.wit`): its mapper, transformer and consumer worlds.
pub const VERSION_0_1: &str = "0.1.0";

/// Checks `component`'s exports and imports against the world exporting
/// `interface` (`mapper`, `transform`, `transformer` or `consumer`) in one of
/// `versions`. Returns the version it implements, or what is wrong.
pub(crate) fn check(
    engine: &Engine,
    component: &Component,
    interface: &str,
    versions: &[&'static str],
) -> Result<&'static str, String> {
    let ty = component.component_type();
    let exports: Vec<&str> = ty.exports(engine).map(|(name, _)| name).collect();
    let wanted = |version: &str| format!("spillway:plugin/{interface}@{version}");
    let Some(version) = versions
        .iter()
        .copied()
        .find(|&version| exports.contains(&wanted(version).as_str()))
    else {
        let expected = wanted(versions[0]);
        let speaks = spoken(versions);
        let same_interface = format!("spillway:plugin/{interface}@");
        if let Some(other) = exports.iter().find(|e| e.starts_with(&same_interface)) {
            return Err(format!(
                "it exports {other}, but this host speaks {interface}@{speaks}: rebuild the \
                 plugin against the wit/ directory of this Spillway version"
            ));
        }
        let ours: Vec<&str> = exports
            .iter()
            .copied()
            .filter(|e| e.starts_with("spillway:plugin/"))
            .collect();
        return Err(if ours.is_empty() {
            format!(
                "it does not export {expected} (it exports {})",
                listing(&exports)
            )
        } else {
            format!(
                "it does not export {expected}; it exports {}, so it is a plugin of another \
                 kind: check which stage's setting names it",
                listing(&ours)
            )
        });
    };
    let host = format!("spillway:plugin/host@{version}");
    for (name, _) in ty.imports(engine) {
        if name.starts_with("wasi:") || name == host {
            continue;
        }
        return Err(if name.starts_with("spillway:plugin/host@") {
            format!(
                "it imports {name}, but a plugin exporting {} must import {host}: rebuild the \
                 plugin against one version of the contract",
                wanted(version)
            )
        } else {
            format!(
                "it imports {name}, which Spillway does not provide (a plugin may import only \
                 {host} and WASI)"
            )
        });
    }
    Ok(version)
}

/// `0.2.0` or `0.2.0 or 0.1.0`.
fn spoken(versions: &[&str]) -> String {
    versions.join(" or ")
}

fn listing(names: &[&str]) -> String {
    if names.is_empty() {
        "nothing".to_owned()
    } else {
        names.join(", ")
    }
}
