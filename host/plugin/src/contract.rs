//! Load-time check that a component implements the world the host expects,
//! with an error that says what is missing rather than a linker message.

use wasmtime::Engine;
use wasmtime::component::Component;

/// The version of `spillway:plugin` this host speaks.
pub const VERSION: &str = "0.1.0";

/// Checks `component`'s exports and imports against the world exporting
/// `interface` (`mapper`, `transformer` or `consumer`). Returns what is wrong.
pub(crate) fn check(engine: &Engine, component: &Component, interface: &str) -> Result<(), String> {
    let ty = component.component_type();
    let expected = format!("spillway:plugin/{interface}@{VERSION}");
    let exports: Vec<&str> = ty.exports(engine).map(|(name, _)| name).collect();
    if !exports.contains(&expected.as_str()) {
        let same_interface = format!("spillway:plugin/{interface}@");
        if let Some(other) = exports.iter().find(|e| e.starts_with(&same_interface)) {
            return Err(format!(
                "it exports {other}, but this host needs {expected}: rebuild the plugin \
                 against the wit/ directory of this Spillway version"
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
    }
    let host = format!("spillway:plugin/host@{VERSION}");
    for (name, _) in ty.imports(engine) {
        if name.starts_with("wasi:") || name == host {
            continue;
        }
        return Err(if name.starts_with("spillway:plugin/host@") {
            format!(
                "it imports {name}, but this host provides {host}: rebuild the plugin against \
                 the wit/ directory of this Spillway version"
            )
        } else {
            format!(
                "it imports {name}, which Spillway does not provide (a plugin may import only \
                 {host} and WASI)"
            )
        });
    }
    Ok(())
}

fn listing(names: &[&str]) -> String {
    if names.is_empty() {
        "nothing".to_owned()
    } else {
        names.join(", ")
    }
}
