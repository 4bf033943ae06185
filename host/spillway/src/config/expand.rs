//! Property expressions, as Debezium Server (MicroProfile Config, SmallRye)
//! expands them: `${NAME}` is replaced by the configuration key `NAME` if the
//! file sets it, else by the environment variable `NAME`, else by the variable
//! MicroProfile derives from it (every character other than a letter or a
//! digit turned into `_`, then upper-cased); `${NAME:default}` falls back to
//! `default` (which may be empty or hold expressions itself). A `NAME` found
//! nowhere, without a default, is an error: Debezium Server refuses to start
//! on it too. `$${` and `\${` (a backslash in the value: `\\${` in a
//! properties file) are a literal `${`, as SmallRye escapes it, for values
//! that are templates of their own (the outbox router's
//! `outbox.event.$${routedByValue}`).

use std::collections::BTreeMap;

/// How deep expressions may refer to keys holding expressions.
const MAX_DEPTH: usize = 8;

/// Expands the expressions of `value`, looking names up in `keys` (the
/// configuration's raw values) and `env`. Errors: an unset name without a
/// default, an expression without its closing `}`, or a chain of references
/// deeper than 8 (a key that refers to itself).
pub fn expand(
    value: &str,
    keys: &BTreeMap<String, String>,
    env: &BTreeMap<String, String>,
) -> Result<String, String> {
    expand_at(value, keys, env, 0)
}

fn expand_at(
    value: &str,
    keys: &BTreeMap<String, String>,
    env: &BTreeMap<String, String>,
    depth: usize,
) -> Result<String, String> {
    if !value.contains("${") {
        return Ok(value.to_owned());
    }
    if depth > MAX_DEPTH {
        return Err("expressions refer to each other in a loop".to_owned());
    }
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        let before = &rest[..start];
        if let Some(kept) = before
            .strip_suffix('$')
            .or_else(|| before.strip_suffix('\\'))
        {
            out.push_str(kept);
            out.push_str("${");
            rest = &rest[start + 2..];
            continue;
        }
        out.push_str(before);
        let inner_start = start + 2;
        let end = closing(&rest[inner_start..])
            .map(|i| inner_start + i)
            .ok_or_else(|| format!("'${{' at '{}' has no closing '}}'", &rest[start..]))?;
        let expression = &rest[inner_start..end];
        let (name, default) = match expression.split_once(':') {
            Some((name, default)) => (name, Some(default)),
            None => (expression, None),
        };
        let found = keys
            .get(name)
            .or_else(|| env.get(name))
            .or_else(|| env.get(&variable_name(name)));
        let resolved = match (found, default) {
            (Some(value), _) => value.as_str(),
            (None, Some(default)) => default,
            (None, None) => {
                return Err(format!(
                    "'${{{name}}}' names neither a configuration key nor an environment \
                     variable ({}); set it, or give a default: '${{{name}:default}}' (or, \
                     for a literal '${{', write '$${{{name}}}')",
                    variable_name(name)
                ));
            }
        };
        out.push_str(&expand_at(resolved, keys, env, depth + 1)?);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Where the `}` closing an expression is, counting nested `${`.
fn closing(text: &str) -> Option<usize> {
    let mut open = 0_usize;
    let bytes = text.as_bytes();
    for (i, byte) in bytes.iter().enumerate() {
        match byte {
            b'{' if i > 0 && bytes[i - 1] == b'$' => open += 1,
            b'}' if open == 0 => return Some(i),
            b'}' => open -= 1,
            _ => {}
        }
    }
    None
}

/// MicroProfile Config's environment name of a property: every character
/// other than an ASCII letter or digit becomes `_`, then all is upper-cased.
pub fn variable_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(entries: &[(&str, &str)]) -> BTreeMap<String, String> {
        entries
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn expressions_expand_from_keys_then_the_environment_then_defaults() {
        let keys = map(&[
            ("db.host", "pg.internal"),
            ("url", "${db.host}:${PORT:5432}"),
        ]);
        let env = map(&[("PG_PASSWORD", "s3cret"), ("DB_NAME", "shop")]);
        let expand = |v: &str| expand(v, &keys, &env);
        assert_eq!(expand("plain").unwrap(), "plain");
        assert_eq!(expand("${PG_PASSWORD}").unwrap(), "s3cret");
        assert_eq!(expand("${db.name}").unwrap(), "shop");
        assert_eq!(expand("${url}").unwrap(), "pg.internal:5432");
        assert_eq!(expand("${MISSING:}").unwrap(), "");
        assert_eq!(expand("${MISSING:${PG_PASSWORD}}").unwrap(), "s3cret");
        assert_eq!(
            expand("a-${DB_NAME}-b-${DB_NAME}").unwrap(),
            "a-shop-b-shop"
        );
        // Escaped: a template of a transform's own, left as it is.
        assert_eq!(
            expand("outbox.event.$${routedByValue}").unwrap(),
            "outbox.event.${routedByValue}"
        );
        assert_eq!(expand("\\${x}-${DB_NAME}").unwrap(), "${x}-shop");
        let unset = expand("outbox.event.${routedByValue}").unwrap_err();
        assert!(unset.contains("write '$${routedByValue}'"), "{unset}");
    }

    #[test]
    fn an_unset_name_without_default_is_an_error_naming_it() {
        let error = expand("${PG_HOST}", &map(&[]), &map(&[])).unwrap_err();
        assert!(error.contains("'${PG_HOST}'"), "{error}");
        assert!(error.contains("'${PG_HOST:default}'"), "{error}");
        let unclosed = expand("${PG_HOST", &map(&[]), &map(&[])).unwrap_err();
        assert!(unclosed.contains("no closing"), "{unclosed}");
        let looping = expand("${a}", &map(&[("a", "${a}")]), &map(&[])).unwrap_err();
        assert!(looping.contains("loop"), "{looping}");
    }
}
