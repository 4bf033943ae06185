//! Java's regular expressions as the `regex` crate takes them: what
//! `Pattern.compile(p).matcher(s).matches()` and `replaceFirst(r)` do, for
//! the transforms' topic and key settings.

use regex::Regex;

/// A pattern that must match a whole string, as Java's `Matcher.matches()`.
#[derive(Debug, Clone)]
pub struct WholeMatch {
    regex: Regex,
    replacement: String,
}

impl WholeMatch {
    /// `pattern` (Java syntax, which the `regex` crate shares for what topic
    /// patterns use) and a Java replacement string (`$1`, `${name}`, `\$`).
    ///
    /// # Errors
    /// A pattern the `regex` crate refuses (look-around and backreferences
    /// are not supported), naming `key`.
    pub fn new(key: &str, pattern: &str, replacement: &str) -> Result<Self, String> {
        let regex = Regex::new(&format!("^(?:{pattern})$"))
            .map_err(|e| format!("{key}={pattern} is not a supported regular expression: {e}"))?;
        Ok(WholeMatch {
            regex,
            replacement: replacement_of_java(replacement),
        })
    }

    /// `text` with its match replaced, or `None` when the pattern does not
    /// match all of it.
    pub fn replace(&self, text: &str) -> Option<String> {
        let captures = self.regex.captures(text)?;
        let mut out = String::new();
        captures.expand(&self.replacement, &mut out);
        Some(out)
    }
}

/// A Java replacement string in the `regex` crate's syntax: `$12` is group
/// 12 (`${12}`), `${name}` a named group, `\x` the character x (a literal
/// `$` is `$$`).
pub fn replacement_of_java(java: &str) -> String {
    let mut out = String::with_capacity(java.len() + 4);
    let mut chars = java.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('$') => out.push_str("$$"),
                Some(other) => out.push(other),
                None => {}
            },
            '$' if chars.peek().is_some_and(char::is_ascii_digit) => {
                out.push_str("${");
                while let Some(d) = chars.next_if(char::is_ascii_digit) {
                    out.push(d);
                }
                out.push('}');
            }
            '$' => out.push('$'),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replacements_mean_what_they_mean_in_java() {
        assert_eq!(replacement_of_java("$1_all"), "${1}_all");
        assert_eq!(replacement_of_java(r"cost\$"), "cost$$");
        assert_eq!(replacement_of_java("${table}"), "${table}");
        let router = WholeMatch::new("topic.regex", r"(.*)\.shard_(\d+)", "$1_all").unwrap();
        assert_eq!(router.replace("db.s.shard_7").as_deref(), Some("db.s_all"));
        // Java's matches(): the whole topic, not a part of it.
        assert_eq!(router.replace("x.db.s.shard_7.y"), None);
        assert!(WholeMatch::new("topic.regex", "(", "").is_err());
    }
}
