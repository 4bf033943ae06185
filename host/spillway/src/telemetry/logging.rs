//! The process's log: human-readable lines, or JSON objects, on standard
//! error. Level and format come from Debezium Server's Quarkus keys, so a
//! Debezium Server file keeps its logging: `quarkus.log.level` (Quarkus' and
//! java.util.logging's level names), `quarkus.log.category."io.debezium".level`
//! (Debezium's category sets Spillway's own lines) and
//! `quarkus.log.console.json`. `RUST_LOG`, when set, wins over the file.

use std::io::IsTerminal;

use crate::config::Config;

/// Installs the log for the process, from `config` when there is one, and
/// logs the configuration's notices. Call once, before anything logs.
pub fn init(config: Option<&Config>) {
    let directives = match std::env::var("RUST_LOG") {
        Ok(directives) if !directives.trim().is_empty() => directives,
        _ => config.map_or_else(|| "info,pg_walstream=warn".to_owned(), directives),
    };
    let filter = tracing_subscriber::EnvFilter::try_new(&directives)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,pg_walstream=warn"));
    let json = config.is_some_and(|c| c.get("quarkus.log.console.json") == Some("true"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    if json {
        builder.json().flatten_event(true).with_ansi(false).init();
    } else {
        builder.with_ansi(std::io::stderr().is_terminal()).init();
    }
    for notice in config.map(Config::notices).unwrap_or_default() {
        if notice.warning {
            tracing::warn!("configuration: {}", notice.text);
        } else {
            tracing::info!("configuration: {}", notice.text);
        }
    }
}

/// The filter directives `config` asks for: `quarkus.log.level` for every
/// line, Debezium's category for Spillway's own.
pub fn directives(config: &Config) -> String {
    let base = level(config.get("quarkus.log.level").unwrap_or("INFO"));
    let mut directives = format!("{base},pg_walstream=warn");
    // The broadest of Debezium's categories set (`io.debezium` before
    // `io.debezium.connector`, say) stands for Spillway's own lines.
    let debezium = config
        .under("quarkus.log.category.")
        .into_iter()
        .filter_map(|(rest, value)| {
            let category = rest.strip_suffix(".level")?.trim_matches('"').to_owned();
            let is_debezium = category == "io.debezium" || category.starts_with("io.debezium.");
            is_debezium.then_some((category.len(), value))
        })
        .min();
    if let Some((_, value)) = debezium {
        directives.push_str(&format!(",spillway={}", level(&value)));
    }
    directives
}

/// A Quarkus or java.util.logging level as a tracing level (`off` included).
fn level(name: &str) -> &'static str {
    match name.trim().to_ascii_uppercase().as_str() {
        "OFF" => "off",
        "FATAL" | "SEVERE" | "ERROR" => "error",
        "WARN" | "WARNING" => "warn",
        "DEBUG" | "CONFIG" | "FINE" => "debug",
        "TRACE" | "FINER" | "FINEST" | "ALL" => "trace",
        _ => "info",
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    fn config(entries: &[(&str, &str)]) -> Config {
        let file = entries
            .iter()
            .enumerate()
            .map(|(i, (k, v))| ((*k).to_owned(), (*v).to_owned(), i + 1))
            .collect();
        Config::build(file, []).expect("valid")
    }

    #[test]
    fn quarkus_levels_set_the_log_filter() {
        assert_eq!(super::directives(&config(&[])), "info,pg_walstream=warn");
        assert_eq!(
            super::directives(&config(&[("quarkus.log.level", "WARN")])),
            "warn,pg_walstream=warn"
        );
        let categories = config(&[
            ("quarkus.log.level", "ERROR"),
            (
                "quarkus.log.category.\"io.debezium.connector\".level",
                "TRACE",
            ),
            ("quarkus.log.category.\"io.debezium\".level", "DEBUG"),
            ("quarkus.log.category.\"org.apache.kafka\".level", "WARN"),
        ]);
        assert_eq!(
            super::directives(&categories),
            "error,pg_walstream=warn,spillway=debug"
        );
    }
}
