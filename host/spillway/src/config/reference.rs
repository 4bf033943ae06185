//! The Debezium part of docs/CONFIGURATION.md, rendered from the tables the
//! code reads ([`super::debezium::KEYS`], [`super::families::FAMILIES`]), so
//! the page cannot drift from what Spillway does: a test fails when the page
//! does not hold exactly this text, and prints it.

use std::fmt::Write as _;

use super::debezium;
use super::families::{FAMILIES, Treatment};
use super::keys::Value;

/// The table of the Debezium Server keys Spillway reads, in Markdown.
pub fn debezium_keys() -> String {
    let mut out = String::from("| key | default | accepts | meaning |\n|---|---|---|---|\n");
    for key in debezium::KEYS {
        let default = key.default.map_or("—".to_owned(), |d| format!("`{d}`"));
        let _ = writeln!(
            out,
            "| `{}` | {default} | {} | {} |",
            key.name,
            accepts(key.value),
            key.doc
        );
    }
    out
}

/// The table of every other Debezium key family and what Spillway does with
/// it, in Markdown.
pub fn families() -> String {
    let mut out = String::from("| keys | Spillway | why |\n|---|---|---|\n");
    for family in FAMILIES {
        let (what, why) = match family.treatment {
            Treatment::NoEffect(why) => ("accepted, no effect (logged)", why.to_owned()),
            Treatment::Renamed(new) => (
                "read as its new name",
                format!("Debezium's old name of `{new}`"),
            ),
            Treatment::Refused(why) => ("refused", why.to_owned()),
        };
        let _ = writeln!(out, "| `{}` | {what} | {why} |", family.keys);
    }
    out
}

fn accepts(value: Value) -> String {
    match value {
        Value::Text => "text".to_owned(),
        Value::Number => "whole number".to_owned(),
        Value::Flag => "`true`/`false`".to_owned(),
        Value::Json => "`json`".to_owned(),
        Value::Regexes => "comma-separated regular expressions".to_owned(),
        Value::OneOf(words) | Value::Sink(words) => words
            .iter()
            .map(|w| format!("`{w}`"))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_configuration_reference_shows_the_debezium_tables_as_the_code_has_them() {
        let page = include_str!("../../../../docs/CONFIGURATION.md");
        for (name, table) in [
            ("Debezium keys", super::debezium_keys()),
            ("key families", super::families()),
        ] {
            assert!(
                page.contains(&table),
                "docs/CONFIGURATION.md does not hold the {name} table as the code has it; \
                 it should read:\n{table}"
            );
        }
    }
}
