//! Environment overrides, Debezium Server style: a key's variable is the key
//! upper-cased with `.` and `-` turned into `_`.

use std::collections::BTreeMap;

use super::{Origin, keys};

/// The environment variable that overrides `key`.
pub fn variable_for(key: &str) -> String {
    key.chars()
        .map(|c| match c {
            '.' | '-' => '_',
            c => c.to_ascii_uppercase(),
        })
        .collect()
}

/// Applies every `DEBEZIUM_*` or `SPILLWAY_*` variable that names a key Spillway
/// knows or a key of the file. One that names neither is reported in the log:
/// it cannot be told from an unrelated variable, but it is usually a typo.
pub(super) fn apply(
    values: &mut BTreeMap<String, (String, Origin)>,
    env: impl IntoIterator<Item = (String, String)>,
) {
    let candidates: BTreeMap<String, String> = keys::all()
        .map(|k| k.name.to_owned())
        .chain(values.keys().cloned())
        .map(|key| (variable_for(&key), key))
        .collect();
    for (variable, value) in env {
        if !(variable.starts_with("DEBEZIUM_") || variable.starts_with("SPILLWAY_")) {
            continue;
        }
        match candidates.get(&variable) {
            Some(key) => {
                values.insert(key.clone(), (value, Origin::Environment(variable)));
            }
            None => tracing::warn!(
                "environment variable {variable} overrides no configuration key; \
                 it is ignored (a key's variable is the key upper-cased, with . and - as _)"
            ),
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
