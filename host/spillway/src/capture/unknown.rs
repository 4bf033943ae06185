//! Columns of types Debezium has no representation for, carried under
//! `include.unknown.datatypes=true` as Debezium carries them: Connect bytes
//! holding the value's text. That text is PostgreSQL's output, but for the
//! geometric types (box, circle, line, lseg, path, polygon), which Debezium
//! reads into PgJDBC's classes and writes back with Java's
//! `Double.toString` for every number (`(1,1),(0,0)` is `(1.0,1.0),(0.0,0.0)`).
//! Recorded against Debezium 3.6.3 in `tests/golden/unknown_types/`.

use std::borrow::Cow;

/// The OIDs of the geometric types whose text PgJDBC rewrites: box, circle,
/// line, lseg, path, polygon.
pub const GEOMETRIC: [u32; 6] = [603, 718, 628, 601, 602, 604];

/// The text Debezium carries for a value whose output is `text`; `geometric`
/// for the types of [`GEOMETRIC`]. `None` when a geometric value holds a
/// number that does not parse.
pub fn text(text: &str, geometric: bool) -> Option<Cow<'_, str>> {
    if !geometric {
        return Some(Cow::Borrowed(text));
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut number = String::new();
    for c in text.chars().chain(std::iter::once('\0')) {
        if matches!(
            c,
            '(' | ')' | ',' | '<' | '>' | '[' | ']' | '{' | '}' | ' ' | '\0'
        ) {
            if !number.is_empty() {
                out.push_str(&java_double(number.parse().ok()?));
                number.clear();
            }
            if c != '\0' {
                out.push(c);
            }
        } else {
            number.push(c);
        }
    }
    Some(Cow::Owned(out))
}

/// `value` as Java's `Double.toString` writes it: `1.0`, `-0.5`, `1.0E7`,
/// `1.5E-4`, `NaN`, `Infinity` (digits as Rust's shortest representation,
/// which is Java's for all but rare values).
fn java_double(value: f64) -> String {
    if value.is_nan() {
        return "NaN".into();
    }
    if value.is_infinite() {
        return if value > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    let magnitude = value.abs();
    if magnitude == 0.0 || (1e-3..1e7).contains(&magnitude) {
        let plain = format!("{value}");
        return if plain.contains('.') {
            plain
        } else {
            format!("{plain}.0")
        };
    }
    let scientific = format!("{value:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    if mantissa.contains('.') {
        format!("{mantissa}E{exponent}")
    } else {
        format!("{mantissa}.0E{exponent}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geometric_numbers_are_written_as_java_writes_doubles() {
        for (pg, java) in [
            ("(1,1),(0,0)", "(1.0,1.0),(0.0,0.0)"),
            ("<(1,1),2>", "<(1.0,1.0),2.0>"),
            ("{1,-1,0}", "{1.0,-1.0,0.0}"),
            (
                "[(0.5,1e+20),(-2.25,1e-05)]",
                "[(0.5,1.0E20),(-2.25,1.0E-5)]",
            ),
            (
                "((0,0),(12345678,0.001))",
                "((0.0,0.0),(1.2345678E7,0.001))",
            ),
        ] {
            assert_eq!(text(pg, true).as_deref(), Some(java), "{pg}");
        }
        assert_eq!(text("16/B374D848", false).as_deref(), Some("16/B374D848"));
        assert_eq!(text("(x,1)", true), None);
    }
}
