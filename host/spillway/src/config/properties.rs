//! Reading a properties file, keeping each key's line for error messages.

use std::path::Path;

use java_properties::{LineContent, PropertiesIter};

use super::ConfigError;

/// The file's key/value pairs with their line numbers, in file order.
///
/// Decoded as UTF-8, as Debezium Server (Quarkus) reads `application.properties`.
pub(super) fn read(path: &Path) -> Result<Vec<(String, String, usize)>, ConfigError> {
    let file = std::fs::File::open(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    let mut entries = Vec::new();
    for line in PropertiesIter::new_with_encoding(std::io::BufReader::new(file), encoding_rs::UTF_8)
    {
        let line = line.map_err(|e| ConfigError::Syntax {
            path: path.to_owned(),
            line: e.line_number().unwrap_or(0),
            message: e.to_string(),
        })?;
        let number = line.line_number();
        if let LineContent::KVPair(key, value) = line.consume_content() {
            entries.push((key, value, number));
        }
    }
    Ok(entries)
}
