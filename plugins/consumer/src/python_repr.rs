//! JSON values printed the way Python's `repr` prints the `dict`, `list`, `str`,
//! `int`, `float`, `bool` and `None` that `json.loads` makes of them.

use serde_json::Value;
use std::fmt::Write;

/// `value` as Python's `repr(json.loads(...))` would print it.
pub fn python_repr(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value);
    out
}

fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("None"),
        Value::Bool(true) => out.push_str("True"),
        Value::Bool(false) => out.push_str("False"),
        Value::Number(n) => match n.as_f64().filter(|_| n.is_f64()) {
            Some(f) => write_float(out, f),
            None => {
                let _ = write!(out, "{n}");
            }
        },
        Value::String(s) => write_str(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(fields) => {
            out.push('{');
            for (i, (key, item)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_str(out, key);
                out.push_str(": ");
                write_value(out, item);
            }
            out.push('}');
        }
    }
}

/// Python's float repr: the shortest round-tripping digits, positional for
/// exponents from -4 to 15, scientific (`1e+16`, `1.5e-05`) otherwise.
fn write_float(out: &mut String, f: f64) {
    if !f.is_finite() {
        out.push_str(if f.is_nan() {
            "nan"
        } else if f > 0.0 {
            "inf"
        } else {
            "-inf"
        });
        return;
    }
    let sci = format!("{f:e}");
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if (-4..16).contains(&exponent) {
        let positional = format!("{f}");
        out.push_str(&positional);
        if !positional.contains('.') {
            out.push_str(".0");
        }
    } else {
        let sign = if exponent < 0 { '-' } else { '+' };
        let _ = write!(out, "{mantissa}e{sign}{:02}", exponent.abs());
    }
}

/// Python's str repr: single quotes unless the text holds `'` and no `"`.
fn write_str(out: &mut String, s: &str) {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || (0x7f..0xa0).contains(&(c as u32)) => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
}

#[cfg(test)]
mod tests {
    use super::python_repr;
    use serde_json::json;

    #[test]
    fn prints_like_python() {
        // Each expectation is what CPython 3 prints for repr(json.loads(...)).
        let cases = [
            (json!(null), "None"),
            (json!(true), "True"),
            (json!(-7), "-7"),
            (json!(1.0), "1.0"),
            (json!(0.1), "0.1"),
            (json!(1e16), "1e+16"),
            (json!(1.5e-5), "1.5e-05"),
            (json!(123456.789), "123456.789"),
            (json!("it's"), "\"it's\""),
            (json!("say \"hi\" it's"), "'say \"hi\" it\\'s'"),
            (json!("a\nb\\c\u{1}"), "'a\\nb\\\\c\\x01'"),
            (json!("héllo"), "'héllo'"),
            (json!([1, "x", null]), "[1, 'x', None]"),
            (json!({"id": 101, "tags": {}}), "{'id': 101, 'tags': {}}"),
        ];
        for (value, expected) in cases {
            assert_eq!(python_repr(&value), expected, "{value}");
        }
    }
}
