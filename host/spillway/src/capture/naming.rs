//! Debezium's adjustment of the names events carry: the Connect schema
//! names (`<topic>.Key`, `.Value`, `.Envelope`) under
//! `schema.name.adjustment.mode`, and column names under
//! `field.name.adjustment.mode`, so that Avro converters accept them.
//!
//! The rules copy Debezium's `SchemaNameAdjuster` and
//! `UnicodeReplacementFunction` (debezium-core, `io.debezium.schema`), as
//! recorded against Debezium 3.6.3 in `tests/golden/names_avro/` and
//! `tests/golden/names_avro_unicode/`:
//! - `avro`: a schema name may hold `[A-Za-z0-9_.]`, a field name
//!   `[A-Za-z0-9_]`, and neither may start with a digit or a dot. Every
//!   other character (each UTF-16 unit) becomes `_`; a first character that
//!   is a digit is kept behind a `_` (`1st` -> `_1st`).
//! - `avro_unicode`: the same, but `_` is not allowed either and every
//!   character not allowed becomes `_u` and its UTF-16 unit in lower-case
//!   hexadecimal, padded with `00` when it has at most two digits (` ` ->
//!   `_u0020`, `к` -> `_u43a`); a first digit is replaced too (`1st` ->
//!   `_u0031st`).
//! - `none` (Debezium's default): names are kept as they are.

use std::borrow::Cow;

/// A name adjustment mode (`schema.name.adjustment.mode`,
/// `field.name.adjustment.mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NameAdjustment {
    /// Names as they are.
    #[default]
    None,
    /// Characters Avro refuses become `_`.
    Avro,
    /// Characters Avro refuses, and `_`, become `_uXXXX`.
    AvroUnicode,
}

impl NameAdjustment {
    /// The mode a setting's value names (`none`, `avro`, `avro_unicode`, any
    /// case); `None` for another value.
    pub fn parse(value: &str) -> Option<Self> {
        match value.to_ascii_lowercase().as_str() {
            "none" => Some(NameAdjustment::None),
            "avro" => Some(NameAdjustment::Avro),
            "avro_unicode" => Some(NameAdjustment::AvroUnicode),
            _ => None,
        }
    }

    /// A Connect schema's full name, adjusted (dots separate its parts and
    /// are kept).
    pub fn schema_name(self, name: &str) -> Cow<'_, str> {
        self.adjust(name, true)
    }

    /// A field's name, adjusted (a dot is replaced like any other
    /// character Avro refuses).
    pub fn field_name(self, name: &str) -> Cow<'_, str> {
        self.adjust(name, false)
    }

    fn adjust(self, name: &str, dots: bool) -> Cow<'_, str> {
        let unicode = match self {
            NameAdjustment::None => return Cow::Borrowed(name),
            NameAdjustment::Avro => false,
            NameAdjustment::AvroUnicode => true,
        };
        let valid_first = |c: char| c.is_ascii_alphabetic() || (c == '_' && !unicode);
        let valid =
            |c: char| c.is_ascii_alphanumeric() || (c == '_' && !unicode) || (c == '.' && dots);
        let allowed = |(i, c): (usize, char)| if i == 0 { valid_first(c) } else { valid(c) };
        if name.chars().enumerate().all(allowed) {
            return Cow::Borrowed(name);
        }
        let mut out = String::with_capacity(name.len() + 8);
        for (i, c) in name.chars().enumerate() {
            if allowed((i, c)) {
                out.push(c);
                continue;
            }
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                if unicode {
                    let hex = format!("{unit:x}");
                    out.push_str("_u");
                    if hex.len() <= 2 {
                        out.push_str("00");
                    }
                    out.push_str(&hex);
                } else {
                    out.push('_');
                }
            }
            if !unicode && i == 0 && c.is_ascii_digit() {
                out.push(c);
            }
        }
        Cow::Owned(out)
    }
}

#[cfg(test)]
mod tests {
    use super::NameAdjustment::{Avro, AvroUnicode, None};

    #[test]
    fn avro_replaces_what_avro_refuses_with_underscores() {
        for (name, field) in [
            ("unit price", "unit_price"),
            ("1st", "_1st"),
            ("$dollar", "_dollar"),
            ("a.b", "a_b"),
            ("back\\slash", "back_slash"),
            ("ключ", "____"),
            ("naïve", "na_ve"),
            ("_under", "_under"),
            ("x_1", "x_1"),
        ] {
            assert_eq!(Avro.field_name(name), field, "{name}");
        }
        assert_eq!(Avro.schema_name("p.s.my-table.Value"), "p.s.my_table.Value");
        assert_eq!(Avro.schema_name("p.s.1st_table.Key"), "p.s.1st_table.Key");
    }

    #[test]
    fn avro_unicode_escapes_what_avro_refuses_and_underscores() {
        for (name, field) in [
            ("unit price", "unit_u0020price"),
            ("1st", "_u0031st"),
            ("a.b", "a_u002eb"),
            ("ключ", "_u43a_u43b_u44e_u447"),
            ("naïve", "na_u00efve"),
            ("_under", "_u005funder"),
            ("x_1", "x_u005f1"),
            ("tab\there", "tab_u009here"),
            ("😀", "_ud83d_ude00"),
        ] {
            assert_eq!(AvroUnicode.field_name(name), field, "{name}");
        }
        assert_eq!(
            AvroUnicode.schema_name("golden.names_avro.my-table.Key"),
            "golden.names_u005favro.my_u002dtable.Key"
        );
    }

    #[test]
    fn none_keeps_names() {
        assert_eq!(None.field_name("unit price"), "unit price");
        assert_eq!(None.schema_name("a-b.c"), "a-b.c");
    }
}
