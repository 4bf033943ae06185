//! What can go wrong loading or calling a plugin.

use std::path::PathBuf;
use std::time::Duration;

/// A plugin could not be loaded, or a call to it failed.
///
/// Load errors ([`PluginError::can_retry`] is false) are configuration
/// problems: retrying cannot help. Call errors may be transient; the stage's
/// failure policy decides what happens next.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    /// The plugin file could not be read.
    #[error("cannot read plugin file '{}': {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The bytes are not a WebAssembly component this host can run.
    #[error("{kind} plugin '{plugin}' is not a WebAssembly component: {reason}")]
    NotAComponent {
        /// The kind of plugin that was expected.
        kind: &'static str,
        /// The plugin's name.
        plugin: String,
        /// What it is instead, and how to fix that.
        reason: String,
    },
    /// The component does not implement the expected world of this host's contract.
    #[error(
        "{kind} plugin '{plugin}' does not implement world '{world}' of spillway:plugin@{version}: {reason}"
    )]
    WrongContract {
        /// The kind of plugin that was expected.
        kind: &'static str,
        /// The plugin's name.
        plugin: String,
        /// The world it must implement.
        world: &'static str,
        /// The contract version this host speaks.
        version: &'static str,
        /// What is missing or different.
        reason: String,
    },
    /// The runtime itself could not be set up (engine, cache, linker).
    #[error("plugin runtime: {0}")]
    Runtime(String),
    /// The plugin could not be instantiated.
    #[error("{kind} plugin '{plugin}' failed to start: {message}{}", tail(stderr))]
    Instantiate {
        /// The kind of plugin.
        kind: &'static str,
        /// The plugin's name.
        plugin: String,
        /// Why.
        message: String,
        /// The end of what the guest wrote to standard error.
        stderr: String,
    },
    /// The plugin ran and returned an error of its own.
    #[error("{kind} plugin '{plugin}' returned an error: {message}")]
    Failed {
        /// The kind of plugin.
        kind: &'static str,
        /// The plugin's name.
        plugin: String,
        /// The plugin's message.
        message: String,
    },
    /// The plugin trapped (a panic, an unreachable, a stack overflow...).
    #[error("{kind} plugin '{plugin}' crashed: {message}{}", tail(stderr))]
    Trapped {
        /// The kind of plugin.
        kind: &'static str,
        /// The plugin's name.
        plugin: String,
        /// The trap.
        message: String,
        /// The end of what the guest wrote to standard error.
        stderr: String,
    },
    /// The call ran past its time limit and was interrupted.
    #[error(
        "{kind} plugin '{plugin}' timed out: stopped after {:.1?} (the limit is {limit:?}){}",
        elapsed,
        tail(stderr)
    )]
    TimedOut {
        /// The kind of plugin.
        kind: &'static str,
        /// The plugin's name.
        plugin: String,
        /// The time limit of a call.
        limit: Duration,
        /// How long the call ran.
        elapsed: Duration,
        /// The end of what the guest wrote to standard error.
        stderr: String,
    },
    /// The plugin asked for more memory than its limit.
    #[error(
        "{kind} plugin '{plugin}' ran out of memory: it asked for {requested} bytes, the limit is {limit} bytes{}",
        tail(stderr)
    )]
    OutOfMemory {
        /// The kind of plugin.
        kind: &'static str,
        /// The plugin's name.
        plugin: String,
        /// The memory limit in bytes.
        limit: u64,
        /// The size it tried to grow to.
        requested: u64,
        /// The end of what the guest wrote to standard error.
        stderr: String,
    },
    /// The plugin returned something the host must refuse.
    #[error("{kind} plugin '{plugin}' returned an invalid result: {reason}")]
    InvalidOutput {
        /// The kind of plugin.
        kind: &'static str,
        /// The plugin's name.
        plugin: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl PluginError {
    /// Whether calling again may succeed: true for failures of a call (the next
    /// call gets a fresh instance), false for load and contract errors.
    pub fn can_retry(&self) -> bool {
        matches!(
            self,
            Self::Instantiate { .. }
                | Self::Failed { .. }
                | Self::Trapped { .. }
                | Self::TimedOut { .. }
                | Self::OutOfMemory { .. }
                | Self::InvalidOutput { .. }
        )
    }

    /// A short name for the kind of failure, as metrics label it.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Read { .. } => "read",
            Self::NotAComponent { .. } => "not_a_component",
            Self::WrongContract { .. } => "wrong_contract",
            Self::Runtime(_) => "runtime",
            Self::Instantiate { .. } => "instantiate",
            Self::Failed { .. } => "failed",
            Self::Trapped { .. } => "trapped",
            Self::TimedOut { .. } => "timed_out",
            Self::OutOfMemory { .. } => "out_of_memory",
            Self::InvalidOutput { .. } => "invalid_output",
        }
    }
}

/// The end of a guest's standard error, for a message: each line indented
/// behind `  | ` and every control character escaped, so that what a plugin
/// writes can never pass for a log line of the host's (or move the cursor of
/// a terminal showing the log).
fn tail(stderr: &str) -> String {
    if stderr.is_empty() {
        return String::new();
    }
    format!("; the plugin's stderr ended with:{}", indented(stderr))
}

/// A guest's standard error for the host's log: each line on a line of its
/// own behind `  | `, control characters escaped.
pub(crate) fn indented(stderr: &str) -> String {
    let mut out = String::new();
    for line in stderr.lines() {
        out.push_str("\n  | ");
        for c in line.chars() {
            if c.is_control() && c != '\t' {
                out.extend(c.escape_unicode());
            } else {
                out.push(c);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_plugins_stderr_cannot_forge_a_log_line() {
        let forged = "panicked\n2026-11-30T06:00:00Z  INFO capture stopped\r\x1b[2K";
        let shown = super::tail(forged);
        assert_eq!(
            shown,
            "; the plugin's stderr ended with:\n  | panicked\n  | 2026-11-30T06:00:00Z  INFO \
             capture stopped\\u{d}\\u{1b}[2K"
        );
        assert!(shown.lines().skip(1).all(|l| l.starts_with("  | ")));
    }
}
