//! Environment overrides, Debezium Server style: a key's variable is the key
//! upper-cased with `.` and `-` turned into `_`
//! (`DEBEZIUM_SOURCE_DATABASE_PORT` overrides `debezium.source.database.port`).
//!
//! Debezium Server reads every `DEBEZIUM_*` variable as a key, so one that
//! names no key Spillway knows is read as the key it spells
//! (`DEBEZIUM_TRANSFORMS_OUTBOX_TYPE` as `debezium.transforms.outbox.type`)
//! and checked like a key of the file: a misspelled variable is refused as a
//! misspelled key is. `SPILLWAY_*` variables that name no key are only
//! warned about (scripts use the prefix for their own settings);
//! `QUARKUS_*` variables are read for the Quarkus keys Spillway honours.

use std::collections::BTreeMap;

use super::{Notice, Origin, families, keys};

/// The environment variable that overrides `key`.
pub fn variable_for(key: &str) -> String {
    key.chars()
        .map(|c| match c {
            '.' | '-' | '"' => '_',
            c => c.to_ascii_uppercase(),
        })
        .collect()
}

/// Applies the `DEBEZIUM_*`, `SPILLWAY_*` and `QUARKUS_*` variables of `env`
/// to `values`; what it cannot place goes to `notices`.
pub(super) fn apply(
    values: &mut BTreeMap<String, (String, Origin)>,
    env: &BTreeMap<String, String>,
    notices: &mut Vec<Notice>,
) {
    let exact_families = families::FAMILIES
        .iter()
        .map(|f| f.keys)
        .filter(|k| !k.ends_with('*'));
    let candidates: BTreeMap<String, String> = keys::all()
        .map(|k| k.name)
        .chain(exact_families)
        .map(str::to_owned)
        .chain(values.keys().cloned())
        .map(|key| (variable_for(&key), key))
        .collect();
    for (variable, value) in env {
        let origin = Origin::Environment(variable.clone());
        if let Some(key) = candidates.get(variable) {
            if ["DEBEZIUM_", "SPILLWAY_", "QUARKUS_"]
                .iter()
                .any(|p| variable.starts_with(p))
            {
                values.insert(key.clone(), (value.clone(), origin));
            }
        } else if variable.starts_with("DEBEZIUM_") {
            let key = variable.to_ascii_lowercase().replace('_', ".");
            values.insert(key, (value.clone(), origin));
        } else if variable.starts_with("SPILLWAY_") {
            notices.push(Notice::warning(format!(
                "environment variable {variable} overrides no configuration key; it is \
                 ignored (a key's variable is the key upper-cased, with . and - as _)"
            )));
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn variables_follow_debezium_server() {
        assert_eq!(
            super::variable_for("debezium.source.database.port"),
            "DEBEZIUM_SOURCE_DATABASE_PORT"
        );
        assert_eq!(super::variable_for("a.b-c"), "A_B_C");
    }
}
