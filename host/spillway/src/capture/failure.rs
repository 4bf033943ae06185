//! What capture does with an event it cannot write: Debezium's
//! `event.processing.failure.handling.mode` (`fail`, the default, stops
//! capture; `warn` and `skip` leave the event out and go on). A skipped
//! event is never silent: it is logged (a warning under `warn`, an info line
//! under `skip`, where Debezium logs nothing) and counted in
//! `spillway_capture_events_skipped_total`.

use anyhow::{Result, bail};

use super::event::Record;
use super::table::Table;
use crate::telemetry::metrics::CAPTURE_SKIPPED;

/// `event.processing.failure.handling.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureHandling {
    /// Stop capture with the event's error (Debezium's default).
    Fail,
    /// Leave the event out with a warning.
    Warn,
    /// Leave the event out (logged at info level).
    Skip,
}

impl FailureHandling {
    /// The event `result` built for the change at `lsn` of `table`:
    /// `Ok(Some)` to write, `Ok(None)` when it cannot be
    /// written and the mode skips it; an error naming the value, the table,
    /// the LSN and the setting that would skip it under `fail`.
    pub fn apply(
        self,
        result: Result<Record, String>,
        table: &Table,
        lsn: u64,
    ) -> Result<Option<Record>> {
        let error = match result {
            Ok(record) => return Ok(Some(record)),
            Err(error) => error,
        };
        let lsn = pg_walstream::format_lsn(lsn);
        let table = format!("{}.{}", table.schema, table.name);
        match self {
            FailureHandling::Fail => bail!(
                "cannot write the change of {table} at LSN {lsn}: {error}. Capture stops here \
                 and PostgreSQL keeps the change; to leave such events out instead, set \
                 debezium.source.event.processing.failure.handling.mode=warn (or skip)"
            ),
            FailureHandling::Warn => tracing::warn!(
                %table,
                %lsn,
                "event left out (event.processing.failure.handling.mode=warn): {error}"
            ),
            FailureHandling::Skip => tracing::info!(
                %table,
                %lsn,
                "event left out (event.processing.failure.handling.mode=skip): {error}"
            ),
        }
        metrics::counter!(CAPTURE_SKIPPED, "table" => table).increment(1);
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        Table::new(
            "p",
            Default::default(),
            "inventory".into(),
            "orders".into(),
            Vec::new(),
            Vec::new(),
        )
    }

    #[test]
    fn fail_names_table_lsn_value_and_the_key_that_skips() {
        let error = FailureHandling::Fail
            .apply(
                Err("inventory.orders.total: cannot read \"x\" as Int32".into()),
                &table(),
                0x16_B374_D848,
            )
            .expect_err("fails");
        let text = error.to_string();
        for part in [
            "inventory.orders",
            "16/B374D848",
            "cannot read \"x\"",
            "debezium.source.event.processing.failure.handling.mode=warn",
        ] {
            assert!(text.contains(part), "{part} missing from: {text}");
        }
    }

    #[test]
    fn warn_and_skip_leave_the_event_out() {
        for mode in [FailureHandling::Warn, FailureHandling::Skip] {
            let kept = mode
                .apply(Err("bad value".into()), &table(), 1)
                .expect("goes on");
            assert!(kept.is_none(), "{mode:?} leaves the event out");
        }
    }
}
