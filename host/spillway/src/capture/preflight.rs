//! What `spillway check` asks of PostgreSQL for capture, without changing
//! anything: each requirement is a finding of its own, so a user sees every
//! problem at once.

use std::sync::Arc;

use super::catalog::Catalog;
use super::settings::CaptureSettings;
use super::table::Table;
use crate::check::Finding;

/// The findings about PostgreSQL, and the tables capture would capture.
pub fn check(settings: &CaptureSettings) -> (Vec<Finding>, Vec<Arc<Table>>) {
    let mut findings = Vec::new();
    let server = format!(
        "PostgreSQL {}@{}:{}/{}",
        settings.user, settings.host, settings.port, settings.database
    );
    let mut catalog = match Catalog::connect(settings) {
        Ok(catalog) => {
            findings.push(Finding::ok(&server, "connected"));
            catalog
        }
        Err(e) => {
            findings.push(Finding::problem(&server, format!("{e:#}")));
            return (findings, Vec::new());
        }
    };
    let mut require = |subject: &str, result: anyhow::Result<()>, ok: &str| {
        findings.push(match result {
            Ok(()) => Finding::ok(subject, ok),
            Err(e) => Finding::problem(subject, format!("{e:#}")),
        });
    };
    require("wal_level", catalog.check_wal_level(), "logical");
    require(
        "replication privilege",
        catalog.check_replication_role(),
        &format!("user '{}' may replicate", settings.user),
    );
    require(
        "DateStyle and IntervalStyle",
        catalog.check_styles(),
        "ISO and postgres",
    );

    let tables = match catalog.tables(settings) {
        Ok(tables) if tables.is_empty() => {
            findings.push(Finding::problem(
                "captured tables",
                "no table matches debezium.source.schema/table include and exclude lists: \
                 check them against the database's tables",
            ));
            Vec::new()
        }
        Ok(tables) => {
            let names: Vec<String> = tables
                .iter()
                .map(|t| format!("{}.{}", t.table.schema, t.table.name))
                .collect();
            findings.push(Finding::ok(
                "captured tables",
                format!(
                    "{} (each readable, with a key or replica identity)",
                    names.join(", ")
                ),
            ));
            tables.into_iter().map(|t| t.table).collect()
        }
        Err(e) => {
            findings.push(Finding::problem("captured tables", format!("{e:#}")));
            Vec::new()
        }
    };

    let publication = format!("publication {}", settings.publication);
    findings.push(match catalog.publication_exists(&settings.publication) {
        Ok(true) => Finding::ok(&publication, "exists"),
        Ok(false) if settings.publication_autocreate == "disabled" => Finding::problem(
            &publication,
            "does not exist and publication.autocreate.mode=disabled: create it (CREATE \
             PUBLICATION ... FOR TABLE ...) or set debezium.source.publication.autocreate.mode \
             to filtered or all_tables",
        ),
        Ok(false) => Finding::ok(
            &publication,
            format!(
                "will be created (publication.autocreate.mode={})",
                settings.publication_autocreate
            ),
        ),
        Err(e) => Finding::problem(&publication, format!("{e:#}")),
    });

    let state = format!(
        "state table {}.{}",
        settings.state_table.0, settings.state_table.1
    );
    findings.push(match super::state::check(&mut catalog, settings) {
        Ok(ok) => Finding::ok(&state, ok),
        Err(e) => Finding::problem(&state, format!("{e:#}")),
    });

    let slot = format!("replication slot {}", settings.slot);
    findings.push(match catalog.slot(&settings.slot) {
        Ok(Some(state)) if let Some(pid) = state.active_pid => Finding::problem(
            &slot,
            format!(
                "in use by another connection (walsender pid {pid}): only one capture may read \
                 a slot (stop the other one, or give this one its own \
                 debezium.source.slot.name)"
            ),
        ),
        Ok(Some(_)) => Finding::ok(&slot, "exists; capture resumes from it"),
        Ok(None) => match catalog.check_free_slot() {
            Ok(()) => Finding::ok(&slot, "will be created (a slot is free)"),
            Err(e) => Finding::problem(&slot, format!("{e:#}")),
        },
        Err(e) => Finding::problem(&slot, format!("{e:#}")),
    });
    (findings, tables)
}
