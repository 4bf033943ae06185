//! Capture's state, kept in a table of the captured database
//! (`spillway.capture.state.table`) so that it lives and dies with the data
//! and its replication slot, not with a local directory: whether the slot's
//! snapshot is in progress or completed, and for a snapshot in progress how
//! many chunks of each relation are stored (see [`super::snapshot`]).
//!
//! The table holds one row per slot and item: `snapshot` (status and the
//! slot's consistent point), and one per relation the snapshot reads
//! (`chunks "schema"."table"`, its chunk plan and progress). Capture creates
//! it when missing, which needs `CREATE` on its schema; afterwards it needs
//! `SELECT, INSERT, UPDATE, DELETE` on it (checked by `spillway check`).
//!
//! Spillway 0.1 kept the snapshot's record in a local file
//! (`spillway.capture.state.file`); a record found there for this slot is
//! carried into the table once, when the table has none.

use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use super::catalog::{Catalog, ident, literal};
use super::settings::CaptureSettings;

/// The columns of the state table, created when missing.
const COLUMNS: &str = "slot_name text NOT NULL, item text NOT NULL, state jsonb NOT NULL, \
                       updated_at timestamptz NOT NULL DEFAULT now(), \
                       PRIMARY KEY (slot_name, item)";

/// The item recording the snapshot itself.
const SNAPSHOT_ITEM: &str = "snapshot";

/// What the state says of a slot's snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Snapshot {
    /// It completed: streaming goes on from the slot.
    Completed,
    /// It started and did not complete; chunks already stored are recorded
    /// per relation. `consistent_point` is where the slot's changes start
    /// (empty if the slot was not created yet when capture stopped).
    InProgress {
        /// The slot's consistent point, as PostgreSQL writes an LSN.
        consistent_point: String,
        /// The snapshot the chunks stored so far were read in, as
        /// `pg_current_snapshot()` writes it (empty when unknown): rows
        /// written after it may have moved into those chunks' blocks.
        horizon: String,
    },
    /// Nothing is recorded for this slot.
    Unknown,
}

/// The `snapshot` item's JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct SnapshotRecord {
    status: String,
    consistent_point: String,
    #[serde(default)]
    horizon: String,
}

/// A relation's chunk plan and progress: blocks `[i * chunk_blocks,
/// (i + 1) * chunk_blocks)` make chunk `i`, the last chunk is open-ended;
/// chunks `0..done` are stored. `relfilenode` tells whether the table was
/// rewritten since (VACUUM FULL, CLUSTER): its rows then have other `ctid`s
/// and the relation is read again from its first chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chunks {
    /// `pg_relation_filenode` when the plan was made.
    pub relfilenode: u32,
    /// Heap blocks per chunk (at least 1).
    pub chunk_blocks: u64,
    /// How many chunks (at least 1).
    pub chunks: u64,
    /// How many leading chunks are stored.
    pub done: u64,
    /// Rows stored so far.
    pub rows: u64,
}

/// The state of one slot, over its own connection.
pub struct State {
    catalog: Catalog,
    table: String,
    slot: String,
}

impl State {
    /// Connects and makes sure the state table exists (creating it when
    /// missing); carries a record of Spillway 0.1's state file in.
    ///
    /// Errors: the table is missing and the user may not create it (the
    /// message gives the SQL to run), or it exists with other columns.
    pub fn open(settings: &CaptureSettings) -> Result<Self> {
        let mut catalog = Catalog::connect(settings)?;
        let (schema, name) = &settings.state_table;
        let table = format!("{}.{}", ident(schema), ident(name));
        if !exists(&mut catalog, &table)? {
            catalog
                .execute(&format!("CREATE TABLE IF NOT EXISTS {table} ({COLUMNS})"))
                .map_err(|e| {
                    anyhow::anyhow!(
                        "capture keeps its state in table {table} of the captured database \
                         (spillway.capture.state.table), and user '{user}' cannot create it: \
                         {e:#}\n  hint: as the schema's owner, run: CREATE TABLE {table} \
                         ({COLUMNS}); GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {who}",
                        user = settings.user,
                        who = ident(&settings.user),
                    )
                })?;
            tracing::info!(table = %table, "created the capture state table");
        }
        let mut state = State {
            catalog,
            table,
            slot: settings.slot.clone(),
        };
        state.check_columns()?;
        if state.snapshot()? == Snapshot::Unknown {
            state.carry_legacy_file(settings, &settings.state_file)?;
        }
        Ok(state)
    }

    /// The table's name, quoted.
    pub fn table(&self) -> &str {
        &self.table
    }

    fn check_columns(&mut self) -> Result<()> {
        let probe = format!(
            "SELECT slot_name, item, state::jsonb, updated_at FROM {} LIMIT 0",
            self.table
        );
        self.catalog.execute(&probe).map_err(|e| {
            anyhow::anyhow!(
                "{} is not a capture state table Spillway can use: {e:#}\n  hint: it needs \
                 the columns ({COLUMNS}) and SELECT, INSERT, UPDATE, DELETE for the capture's \
                 user; drop it to let capture create it, or name another table with \
                 spillway.capture.state.table",
                self.table
            )
        })
    }

    /// What the state records of the slot's snapshot.
    pub fn snapshot(&mut self) -> Result<Snapshot> {
        let Some(text) = self.item(SNAPSHOT_ITEM)? else {
            return Ok(Snapshot::Unknown);
        };
        let record: SnapshotRecord = serde_json::from_str(&text)
            .with_context(|| format!("the snapshot record in {} is damaged", self.table))?;
        Ok(match record.status.as_str() {
            "completed" => Snapshot::Completed,
            _ => Snapshot::InProgress {
                consistent_point: record.consistent_point,
                horizon: record.horizon,
            },
        })
    }

    /// Records that a snapshot starts from nothing: its chunk progress is
    /// forgotten. `consistent_point` and `horizon` may be empty (the slot
    /// is not created yet); [`State::started`] fills them in.
    pub fn start(&mut self, consistent_point: &str, horizon: &str) -> Result<()> {
        self.catalog.execute(&format!(
            "DELETE FROM {} WHERE slot_name = {} AND item <> {}",
            self.table,
            literal(&self.slot),
            literal(SNAPSHOT_ITEM)
        ))?;
        self.started(consistent_point, horizon)
    }

    /// Records the consistent point of the snapshot in progress and the
    /// snapshot (`horizon`, as `pg_current_snapshot()` writes it) its first
    /// chunks are read in.
    pub fn started(&mut self, consistent_point: &str, horizon: &str) -> Result<()> {
        self.put_snapshot("in_progress", consistent_point, horizon)
    }

    /// Records that the snapshot completed (or that the slot is streamed
    /// from without one, `consistent_point` empty); chunk progress is
    /// dropped.
    pub fn complete(&mut self, consistent_point: &str) -> Result<()> {
        self.put_snapshot("completed", consistent_point, "")?;
        self.catalog.execute(&format!(
            "DELETE FROM {} WHERE slot_name = {} AND item <> {}",
            self.table,
            literal(&self.slot),
            literal(SNAPSHOT_ITEM)
        ))
    }

    /// The recorded chunks of relation `relation` (quoted, qualified).
    pub fn chunks(&mut self, relation: &str) -> Result<Option<Chunks>> {
        let Some(text) = self.item(&chunks_item(relation))? else {
            return Ok(None);
        };
        serde_json::from_str(&text)
            .with_context(|| {
                format!(
                    "the chunk record of {relation} in {} is damaged",
                    self.table
                )
            })
            .map(Some)
    }

    /// Records the chunks of `relation`.
    pub fn save_chunks(&mut self, relation: &str, chunks: &Chunks) -> Result<()> {
        let json = serde_json::to_string(chunks)?;
        self.put(&chunks_item(relation), &json)
    }

    /// Forgets everything recorded for the slot (`slot.drop.on.stop`).
    pub fn forget(&mut self) -> Result<()> {
        self.catalog.execute(&format!(
            "DELETE FROM {} WHERE slot_name = {}",
            self.table,
            literal(&self.slot)
        ))
    }

    fn put_snapshot(&mut self, status: &str, consistent_point: &str, horizon: &str) -> Result<()> {
        let json = serde_json::to_string(&SnapshotRecord {
            status: status.to_owned(),
            consistent_point: consistent_point.to_owned(),
            horizon: horizon.to_owned(),
        })?;
        self.put(SNAPSHOT_ITEM, &json)
    }

    fn item(&mut self, item: &str) -> Result<Option<String>> {
        self.catalog.value(&format!(
            "SELECT state::text FROM {} WHERE slot_name = {} AND item = {}",
            self.table,
            literal(&self.slot),
            literal(item)
        ))
    }

    fn put(&mut self, item: &str, json: &str) -> Result<()> {
        self.catalog
            .execute(&format!(
                "INSERT INTO {table} (slot_name, item, state) VALUES ({slot}, {item}, {json}::jsonb) \
                 ON CONFLICT (slot_name, item) DO UPDATE SET state = EXCLUDED.state, \
                 updated_at = now()",
                table = self.table,
                slot = literal(&self.slot),
                item = literal(item),
                json = literal(json),
            ))
            .with_context(|| format!("cannot record capture state in {}", self.table))
    }

    /// Carries Spillway 0.1's record of this slot's snapshot, if its file
    /// holds one, into the table.
    fn carry_legacy_file(&mut self, settings: &CaptureSettings, file: &Path) -> Result<()> {
        /// The file's content.
        #[derive(Deserialize)]
        struct Legacy {
            database: String,
            slot: String,
            consistent_point: String,
            #[serde(default)]
            in_progress: bool,
        }
        let text = match std::fs::read_to_string(file) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", file.display())),
        };
        let Ok(legacy) = serde_json::from_str::<Legacy>(&text) else {
            bail!(
                "{} is not a capture state file of Spillway 0.1: move it away, or point \
                 spillway.capture.state.file elsewhere",
                file.display()
            );
        };
        if legacy.database != settings.database || legacy.slot != settings.slot {
            return Ok(());
        }
        if legacy.in_progress {
            self.start(&legacy.consistent_point, "")?;
        } else {
            self.complete(&legacy.consistent_point)?;
        }
        tracing::info!(
            file = %file.display(),
            table = %self.table,
            "carried the snapshot record of Spillway 0.1's state file into the state table; \
             the file is not read again"
        );
        Ok(())
    }
}

/// For `spillway check`, without changing anything: whether capture can
/// use (or create) the state table; `Ok` says which.
pub fn check(catalog: &mut Catalog, settings: &CaptureSettings) -> Result<String> {
    let (schema, name) = &settings.state_table;
    let table = format!("{}.{}", ident(schema), ident(name));
    let grant = format!(
        "GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {}",
        ident(&settings.user)
    );
    if exists(catalog, &table)? {
        let allowed = catalog.value(&format!(
            "SELECT has_table_privilege({t}, 'SELECT') AND has_table_privilege({t}, 'INSERT') \
                    AND has_table_privilege({t}, 'UPDATE') AND has_table_privilege({t}, 'DELETE')",
            t = literal(&table)
        ))?;
        if allowed.as_deref() != Some("t") {
            bail!(
                "user '{}' may not read and write it: {grant}",
                settings.user
            );
        }
        catalog
            .execute(&format!(
                "SELECT slot_name, item, state::jsonb, updated_at FROM {table} LIMIT 0"
            ))
            .map_err(|e| anyhow::anyhow!("{e:#}\n  hint: it needs the columns ({COLUMNS})"))?;
        return Ok("exists, readable and writable".to_owned());
    }
    let may_create = catalog.value(&format!(
        "SELECT has_schema_privilege(n.oid, 'CREATE') FROM pg_namespace n WHERE n.nspname = {}",
        literal(schema)
    ))?;
    match may_create.as_deref() {
        Some("t") => Ok("will be created".to_owned()),
        Some(_) => bail!(
            "does not exist, and user '{}' may not create it in schema {schema}: as the \
             schema's owner, run CREATE TABLE {table} ({COLUMNS}); {grant}",
            settings.user
        ),
        None => bail!(
            "schema {schema} does not exist: create it, or name another table with \
             spillway.capture.state.table"
        ),
    }
}

/// Whether `table` (quoted, qualified) exists.
fn exists(catalog: &mut Catalog, table: &str) -> Result<bool> {
    let found = catalog.value(&format!(
        "SELECT to_regclass({}) IS NOT NULL",
        literal(table)
    ))?;
    Ok(found.as_deref() == Some("t"))
}

fn chunks_item(relation: &str) -> String {
    format!("chunks {relation}")
}
