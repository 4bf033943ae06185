//! Ordinary SQL against the captured database: the checks a capture needs
//! to pass before it starts (each failure says how to fix it), the captured
//! tables' columns and keys, the publication, and the slot's state.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use pg_walstream::{PgReplicationConnection, RelationColumn, quote_ident, quote_literal};

use super::settings::CaptureSettings;
use super::table::{Column, Table};
use super::types::{CatalogType, Kind};

/// The prefix of the logical messages capture writes to move its slot.
pub const HEARTBEAT_PREFIX: &str = "spillway-heartbeat";

/// A plain (non-replication) connection to the captured database.
pub struct Catalog {
    connection: PgReplicationConnection,
    user: String,
}

/// What the catalog says about a replication slot.
#[derive(Debug, Clone)]
pub struct SlotState {
    /// The slot's catalog xmin (the transaction its snapshot was taken in).
    pub catalog_xmin: Option<u32>,
    /// The walsender streaming from it now, if any.
    pub active_pid: Option<u32>,
    /// Where its changes start: the last position acknowledged, as
    /// PostgreSQL writes an LSN (`confirmed_flush_lsn`).
    pub confirmed_flush: String,
}

/// A captured table as the catalog describes it.
pub struct CatalogTable {
    /// The table's OID.
    pub oid: u32,
    /// The table as streamed events describe it.
    pub table: Arc<Table>,
    /// The table as snapshot events describe it: with its generated columns
    /// (`GENERATED ALWAYS AS ... STORED`), which PostgreSQL 15 does not
    /// publish and a snapshot reads, as Debezium's does through JDBC. The
    /// same `Arc` as `table` when it has none.
    pub snapshot_table: Arc<Table>,
    /// The columns left out because Debezium leaves their type out.
    pub unsupported: Vec<String>,
    /// An estimate of its rows (for snapshot progress): `reltuples`, or for
    /// a table never vacuumed or analysed the live rows its statistics
    /// counted; `None` when neither is known (see [`Catalog::estimate_rows`]).
    pub estimated_rows: Option<u64>,
}

/// A pgoutput Relation message: the definition the changes after it were
/// written with.
pub struct Relation<'a> {
    /// The table's OID.
    pub oid: u32,
    /// Its schema.
    pub schema: &'a str,
    /// Its name.
    pub name: &'a str,
    /// Its columns, in table order, generated columns left out.
    pub columns: &'a [RelationColumn],
}

/// The columns describing a type that both catalog queries select, for the
/// type `t` with `bt` its base type: the base type, the type modifier (a
/// domain's own, else `typmod`), the type's kind (`typtype`), an array's
/// element, an enum's labels, and the name of the base type (an array's
/// element's), which identifies extension types (their OIDs differ from
/// database to database).
fn type_columns(typmod: &str) -> String {
    format!(
        "CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END, \
         CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE {typmod} END, t.typtype, \
         CASE WHEN bt.typcategory = 'A' THEN bt.typelem END, \
         (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_enum e \
          WHERE e.enumtypid = CASE WHEN bt.typcategory = 'A' THEN bt.typelem ELSE bt.oid END), \
         (SELECT x.typname FROM pg_type x \
          WHERE x.oid = CASE WHEN bt.typcategory = 'A' THEN bt.typelem ELSE bt.oid END)"
    )
}

/// A join giving `k.indkey`, the columns of the key Debezium gives the table
/// `relation` (an SQL expression): its primary key, else its first unique
/// index by name that is valid, on plain columns and not partial.
fn key_index(relation: &str) -> String {
    format!(
        "LEFT JOIN LATERAL (SELECT ki.indkey FROM pg_index ki \
             JOIN pg_class kc ON kc.oid = ki.indexrelid \
             WHERE ki.indrelid = {relation} AND ki.indisvalid AND (ki.indisprimary \
                   OR (ki.indisunique AND ki.indexprs IS NULL AND ki.indpred IS NULL)) \
             ORDER BY ki.indisprimary DESC, kc.relname LIMIT 1) k ON true"
    )
}

/// A table's columns and key being gathered from the catalog or a message.
struct TableBuilder {
    schema: String,
    name: String,
    identity: String,
    /// Whether the table has a primary key (its key may be a unique index).
    primary_key: bool,
    readable: bool,
    /// See [`CatalogTable::estimated_rows`].
    estimate: Option<u64>,
    columns: Vec<Column>,
    /// Indexes into `columns` of the generated columns.
    generated: Vec<usize>,
    key: Vec<(i64, usize)>,
    unsupported: Vec<String>,
}

impl TableBuilder {
    fn new(schema: String, name: String) -> Self {
        TableBuilder {
            schema,
            name,
            identity: String::new(),
            primary_key: false,
            readable: true,
            estimate: None,
            columns: Vec::new(),
            generated: Vec::new(),
            key: Vec::new(),
            unsupported: Vec::new(),
        }
    }

    /// Adds a column of type `ty`: key columns always, others as the column
    /// filters say; one of a type Debezium leaves out is listed as unsupported.
    /// A `generated` column is carried by snapshot events only.
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        settings: &CaptureSettings,
        column: String,
        ty: &CatalogType<'_>,
        not_null: bool,
        default: Option<&str>,
        key_position: Option<i64>,
        generated: bool,
    ) {
        if key_position.is_none() && !settings.filters.column(&self.schema, &self.name, &column) {
            return;
        }
        let Some(kind) = Kind::from_catalog(ty, settings.modes) else {
            self.unsupported.push(column);
            return;
        };
        let default = default.and_then(|expr| default_value(&kind, expr));
        if let Some(position) = key_position {
            self.key.push((position, self.columns.len()));
        }
        if generated {
            self.generated.push(self.columns.len());
        }
        self.columns.push(Column {
            field: settings.field_names.field_name(&column).into_owned(),
            name: column,
            unavailable: kind.unavailable(&settings.unavailable_placeholder),
            kind,
            optional: !not_null,
            default,
        });
    }

    /// The table, keyed by its primary key (or first unique index), or by
    /// the columns `message.key.columns` names for it.
    fn finish(mut self, settings: &CaptureSettings, oid: u32) -> CatalogTable {
        self.key.sort();
        let mut key: Vec<usize> = self.key.into_iter().map(|(_, i)| i).collect();
        if let Some(columns) = settings.message_key_columns(&self.schema, &self.name) {
            let chosen: Option<Vec<usize>> = columns
                .iter()
                .map(|name| self.columns.iter().position(|c| c.name == *name))
                .collect();
            match chosen {
                Some(chosen) => key = chosen,
                None => tracing::warn!(
                    table = %format!("{}.{}", self.schema, self.name),
                    "message.key.columns names columns this table's events do not carry ({}): \
                     its key stays {}",
                    columns.join(", "),
                    if key.is_empty() { "null" } else { "its primary key" }
                ),
            }
        }
        // The table of the columns at `indexes`, its key those of `key`
        // among them.
        let table = |indexes: &[usize]| {
            Arc::new(Table::new(
                &settings.prefix,
                settings.schema_names,
                self.schema.clone(),
                self.name.clone(),
                indexes.iter().map(|&i| self.columns[i].clone()).collect(),
                key.iter()
                    .filter_map(|k| indexes.iter().position(|i| i == k))
                    .collect(),
            ))
        };
        let all: Vec<usize> = (0..self.columns.len()).collect();
        let streamed: Vec<usize> = all
            .iter()
            .copied()
            .filter(|i| !self.generated.contains(i))
            .collect();
        let streamed_table = table(&streamed);
        let snapshot_table = if self.generated.is_empty() {
            Arc::clone(&streamed_table)
        } else {
            table(&all)
        };
        CatalogTable {
            oid,
            table: streamed_table,
            snapshot_table,
            unsupported: self.unsupported,
            estimated_rows: self.estimate,
        }
    }
}

impl Catalog {
    /// Connects, turning the failures a user meets into instructions.
    pub fn connect(settings: &CaptureSettings) -> Result<Self> {
        let connection = PgReplicationConnection::connect(&settings.conninfo(false))
            .map_err(|e| explain_connect_error(settings, &e.to_string()))?;
        Ok(Catalog {
            connection,
            user: settings.user.clone(),
        })
    }

    pub(super) fn rows(&mut self, sql: &str) -> Result<Vec<Vec<Option<String>>>> {
        let result = self
            .connection
            .exec(sql)
            .with_context(|| format!("query failed: {sql}"))?;
        Ok((0..result.ntuples())
            .map(|r| {
                (0..result.nfields())
                    .map(|c| result.get_value(r, c))
                    .collect()
            })
            .collect())
    }

    pub(super) fn value(&mut self, sql: &str) -> Result<Option<String>> {
        Ok(self
            .rows(sql)?
            .into_iter()
            .next()
            .and_then(|r| r.into_iter().next().flatten()))
    }

    /// Checks what capture needs of the server and the user.
    pub fn check_server(&mut self) -> Result<()> {
        self.check_wal_level()?;
        self.check_replication_role()?;
        self.check_styles()
    }

    /// Logical decoding needs `wal_level=logical`.
    pub fn check_wal_level(&mut self) -> Result<()> {
        let wal_level = self.value("SHOW wal_level")?.unwrap_or_default();
        if wal_level != "logical" {
            bail!(
                "PostgreSQL runs with wal_level={wal_level}; capture needs wal_level=logical. \
                 Set it (ALTER SYSTEM SET wal_level = logical, or wal_level=logical in \
                 postgresql.conf) and restart PostgreSQL."
            );
        }
        Ok(())
    }

    /// The user must be allowed to open a replication connection.
    pub fn check_replication_role(&mut self) -> Result<()> {
        let user = literal(&self.user);
        let can_replicate = self.value(&format!(
            "SELECT rolreplication OR rolsuper FROM pg_roles WHERE rolname = {user}"
        ))?;
        if can_replicate.as_deref() != Some("t") {
            bail!(
                "user '{0}' may not open a replication connection: grant it with \
                 ALTER ROLE {1} REPLICATION (it also needs SELECT on the captured tables).",
                self.user,
                ident(&self.user)
            );
        }
        Ok(())
    }

    /// Values are read in PostgreSQL's default output styles.
    pub fn check_styles(&mut self) -> Result<()> {
        let styles =
            self.rows("SELECT current_setting('DateStyle'), current_setting('IntervalStyle')")?;
        let (date_style, interval_style) = match styles.first().map(Vec::as_slice) {
            Some([Some(d), Some(i)]) => (d.clone(), i.clone()),
            _ => bail!("cannot read DateStyle and IntervalStyle"),
        };
        if !date_style.starts_with("ISO") || interval_style != "postgres" {
            bail!(
                "the database uses DateStyle '{date_style}' and IntervalStyle \
                 '{interval_style}'; capture reads dates in the ISO style and intervals in the \
                 postgres style (PostgreSQL's defaults): ALTER DATABASE ... SET DateStyle = 'ISO, \
                 MDY' and SET IntervalStyle = 'postgres'."
            );
        }
        Ok(())
    }

    /// The decimal separator of money's text output under this session's
    /// `lc_monetary` (see [`super::decimal::money_separator`]).
    pub fn money_separator(&mut self) -> Result<char> {
        let sample = self
            .value("SELECT (-1234567.5)::money::text")?
            .context("money's text output is empty")?;
        Ok(super::decimal::money_separator(&sample))
    }

    /// The tables the filters capture, with their captured columns and keys,
    /// as the catalog describes them now. Refuses tables the user cannot read
    /// and tables whose updates PostgreSQL cannot replicate.
    ///
    /// The key is Debezium's: the primary key, else the first unique index
    /// (by name) on plain columns, else none.
    pub fn tables(&mut self, settings: &CaptureSettings) -> Result<Vec<CatalogTable>> {
        let rows = self.rows(&format!(
            "SELECT c.oid, n.nspname, c.relname, c.relreplident, \
                    has_table_privilege(c.oid, 'SELECT'), \
                    CASE WHEN c.reltuples >= 0 THEN c.reltuples::bigint \
                         ELSE NULLIF((SELECT s.n_live_tup FROM pg_stat_all_tables s WHERE s.relid = c.oid), 0) END, \
                    a.attname, {}, \
                    a.attnotnull, pg_get_expr(d.adbin, d.adrelid), \
                    array_position(k.indkey::int2[], a.attnum), \
                    EXISTS (SELECT 1 FROM pg_index p WHERE p.indrelid = c.oid AND p.indisprimary), \
                    a.attgenerated <> '' \
             FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped \
             JOIN pg_type t ON t.oid = a.atttypid \
             JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE a.atttypid END \
             LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum \
             {} \
             WHERE {} \
               AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
               AND n.nspname NOT LIKE 'pg\\_%' \
             ORDER BY n.nspname, c.relname, a.attnum",
            type_columns("a.atttypmod"),
            key_index("c.oid"),
            // Partitioned tables' changes are published under the root with
            // publish.via.partition.root, else under the partitions.
            if settings.publish_via_partition_root {
                "c.relkind IN ('r', 'p') AND NOT c.relispartition"
            } else {
                "c.relkind = 'r'"
            }
        ))?;
        let mut tables: BTreeMap<u32, TableBuilder> = BTreeMap::new();
        for row in rows {
            let get = |i: usize| row.get(i).cloned().flatten();
            let (Some(oid), Some(schema), Some(name), Some(column)) = (
                get(0).and_then(|o| o.parse::<u32>().ok()),
                get(1),
                get(2),
                get(6),
            ) else {
                continue;
            };
            if !settings.filters.table(&schema, &name) {
                continue;
            }
            let building = tables.entry(oid).or_insert_with(|| TableBuilder {
                identity: get(3).unwrap_or_default(),
                primary_key: get(16).as_deref() == Some("t"),
                readable: get(4).as_deref() == Some("t"),
                estimate: get(5).and_then(|e| e.parse().ok()),
                ..TableBuilder::new(schema, name)
            });
            let (labels, type_name) = (get(11), get(12));
            let ty = CatalogType {
                oid: get(7).and_then(|o| o.parse().ok()).unwrap_or(0),
                typmod: get(8).and_then(|m| m.parse().ok()).unwrap_or(-1),
                element: get(10).and_then(|e| e.parse().ok()),
                enum_labels: labels.as_deref(),
                name: type_name.as_deref(),
            };
            building.add(
                settings,
                column,
                &ty,
                get(13).as_deref() == Some("t"),
                get(14).as_deref(),
                get(15).and_then(|p| p.parse::<i64>().ok()),
                get(17).as_deref() == Some("t"),
            );
        }
        if !settings.publish_via_partition_root {
            self.warn_unpublished_roots(settings)?;
        }
        let mut captured = Vec::new();
        let mut unreadable = Vec::new();
        let mut unreplicable = Vec::new();
        for (oid, b) in tables {
            let qualified = format!("{}.{}", ident(&b.schema), ident(&b.name));
            if !b.readable {
                unreadable.push(qualified.clone());
            }
            match b.identity.as_str() {
                "d" if !b.primary_key => unreplicable.push(qualified),
                "n" => tracing::warn!(
                    table = %qualified,
                    "REPLICA IDENTITY NOTHING: its inserts are captured; PostgreSQL refuses \
                     its updates and deletes while it is in the publication"
                ),
                _ => {}
            }
            captured.push(b.finish(settings, oid));
        }
        if !unreadable.is_empty() {
            bail!(
                "user '{}' may not read {}: GRANT SELECT ON {} TO {}",
                self.user,
                unreadable.join(", "),
                unreadable.join(", "),
                ident(&self.user)
            );
        }
        if !unreplicable.is_empty() {
            bail!(
                "PostgreSQL cannot replicate updates and deletes of {}: they have no primary key \
                 and no replica identity. Add a primary key, or ALTER TABLE ... REPLICA IDENTITY \
                 FULL (or NOTHING, for a table only ever inserted into), or leave them out with \
                 debezium.source.table.exclude.list.",
                unreplicable.join(", ")
            );
        }
        Ok(captured)
    }

    /// Warns about each partitioned table the filters select none of whose
    /// partitions they select: without publish.via.partition.root its
    /// changes are published under its partitions, so it would produce no
    /// event, silently.
    fn warn_unpublished_roots(&mut self, settings: &CaptureSettings) -> Result<()> {
        let rows = self.rows(
            "SELECT n.nspname, c.relname, \
                    (SELECT string_agg(pn.nspname || '.' || pc.relname, ',') \
                     FROM pg_partition_tree(c.oid) t JOIN pg_class pc ON pc.oid = t.relid \
                     JOIN pg_namespace pn ON pn.oid = pc.relnamespace WHERE t.isleaf) \
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind = 'p' AND NOT c.relispartition",
        )?;
        for row in rows {
            let get = |i: usize| row.get(i).cloned().flatten();
            let (Some(schema), Some(name)) = (get(0), get(1)) else {
                continue;
            };
            if !settings.filters.table(&schema, &name) {
                continue;
            }
            let leaves = get(2).unwrap_or_default();
            let any_selected = leaves.split(',').any(|leaf| {
                leaf.split_once('.')
                    .is_some_and(|(s, t)| settings.filters.table(s, t))
            });
            if !any_selected {
                tracing::warn!(
                    table = %format!("{schema}.{name}"),
                    "this partitioned table's changes are published under its partitions ({}), \
                     which the include and exclude lists leave out: it will produce no event. \
                     Include its partitions, or set debezium.source.publish.via.partition.root=true \
                     to capture its changes under its own name",
                    if leaves.is_empty() { "none yet" } else { leaves.as_str() }
                );
            }
        }
        Ok(())
    }

    /// A table as a pgoutput Relation message describes it: the columns,
    /// their types and modifiers the changes that follow the message were
    /// written with, whatever the catalog says now (the table may have been
    /// altered or dropped since). The catalog adds only what
    /// the message lacks, from the table that has the message's name now
    /// (as Debezium looks it up: a table dropped and created again under the
    /// same name is that one) and its column of the same name: whether it is
    /// NOT NULL, and its default where the type is still the same; a column
    /// it no longer has is optional without a default.
    /// Types are looked up by OID (domains to their base type, arrays to
    /// their element, enums to their labels); a type that no longer exists
    /// leaves its column out, as a type Debezium does not capture.
    ///
    /// The key is Debezium's: the primary key (else the first unique index)
    /// the catalog has now, its columns matched by name; none for a table
    /// dropped since. The message's replica identity and key flags are not
    /// used (Debezium reads them and leaves them unused too).
    pub fn relation(
        &mut self,
        settings: &CaptureSettings,
        message: &Relation<'_>,
    ) -> Result<CatalogTable> {
        let oids = message
            .columns
            .iter()
            .map(|c| c.type_id.to_string())
            .collect::<Vec<_>>()
            .join(",");
        /// A type as the catalog describes it: its base type, a domain's own
        /// modifier, an array's element, an enum's labels.
        struct TypeInfo {
            base: u32,
            domain_typmod: Option<i32>,
            element: Option<u32>,
            labels: Option<String>,
            name: Option<String>,
        }
        /// A column the table still has: its type, NOT NULL, default and
        /// place in the primary key.
        struct Current {
            type_id: u32,
            not_null: bool,
            default: Option<String>,
            key_position: Option<i64>,
        }
        let mut types = HashMap::new();
        for row in self.rows(&format!(
            "SELECT t.oid, {} \
             FROM pg_type t \
             JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END \
             WHERE t.oid = ANY('{{{oids}}}'::oid[])",
            type_columns("-1")
        ))? {
            let get = |i: usize| row.get(i).cloned().flatten();
            let Some(oid) = get(0).and_then(|o| o.parse::<u32>().ok()) else {
                continue;
            };
            let is_domain = get(3).as_deref() == Some("d");
            types.insert(
                oid,
                TypeInfo {
                    base: get(1).and_then(|o| o.parse().ok()).unwrap_or(0),
                    domain_typmod: get(2)
                        .and_then(|m| m.parse().ok())
                        .filter(|_| is_domain),
                    element: get(4).and_then(|e| e.parse().ok()),
                    labels: get(5),
                    name: get(6),
                },
            );
        }
        let mut now = HashMap::new();
        for row in self.rows(&format!(
            "SELECT a.attname, a.atttypid, a.attnotnull, pg_get_expr(d.adbin, d.adrelid), \
                    array_position(k.indkey::int2[], a.attnum) \
             FROM pg_attribute a \
             LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
             {} \
             WHERE a.attrelid = to_regclass(format('%I.%I', {}, {})) \
               AND a.attnum > 0 AND NOT a.attisdropped",
            key_index("a.attrelid"),
            literal(message.schema),
            literal(message.name),
        ))? {
            let get = |i: usize| row.get(i).cloned().flatten();
            if let Some(name) = get(0) {
                now.insert(
                    name,
                    Current {
                        type_id: get(1).and_then(|o| o.parse().ok()).unwrap_or(0),
                        not_null: get(2).as_deref() == Some("t"),
                        default: get(3),
                        key_position: get(4).and_then(|p| p.parse().ok()),
                    },
                );
            }
        }
        // Debezium's key: the catalog's, matched by name (none for a table
        // dropped since and not created again).
        let mut building = TableBuilder::new(message.schema.to_owned(), message.name.to_owned());
        for column in message.columns {
            let named = now.get(&*column.name);
            let current = named.filter(|c: &&Current| c.type_id == column.type_id);
            let key_position = named.and_then(|c| c.key_position);
            let info: Option<&TypeInfo> = types.get(&column.type_id);
            let ty = CatalogType {
                oid: info.map_or(0, |t| t.base),
                typmod: info
                    .and_then(|t| t.domain_typmod)
                    .unwrap_or(column.type_modifier),
                element: info.and_then(|t| t.element),
                enum_labels: info.and_then(|t| t.labels.as_deref()),
                name: info.and_then(|t| t.name.as_deref()),
            };
            building.add(
                settings,
                column.name.to_string(),
                &ty,
                named.is_some_and(|c| c.not_null),
                current.and_then(|c| c.default.as_deref()),
                key_position,
                false,
            );
        }
        Ok(building.finish(settings, message.oid))
    }

    /// Fills in the row estimates the statistics did not give with the
    /// planner's (from each table's size); for the snapshot, which is the
    /// only reader of estimates.
    pub fn estimate_rows(&mut self, tables: &mut [CatalogTable]) {
        for t in tables.iter_mut().filter(|t| t.estimated_rows.is_none()) {
            let qualified = format!("{}.{}", ident(&t.table.schema), ident(&t.table.name));
            t.estimated_rows = Some(self.planner_rows(&qualified).unwrap_or(0));
        }
    }

    /// The planner's estimate of a table's rows.
    fn planner_rows(&mut self, qualified: &str) -> Result<u64> {
        let plan = self
            .value(&format!("EXPLAIN (FORMAT JSON) SELECT * FROM {qualified}"))?
            .context("EXPLAIN returned nothing")?;
        let plan: serde_json::Value = serde_json::from_str(&plan)?;
        plan[0]["Plan"]["Plan Rows"]
            .as_f64()
            .map(|rows| rows as u64)
            .context("EXPLAIN gave no row estimate")
    }

    /// Makes sure the publication exists (per `publication.autocreate.mode`)
    /// and, in `filtered` mode, that it publishes exactly the captured tables.
    pub fn ensure_publication(
        &mut self,
        settings: &CaptureSettings,
        tables: &[CatalogTable],
    ) -> Result<()> {
        let name = &settings.publication;
        let quoted = ident(name);
        let exists = self.publication_exists(name)?;
        let list = tables
            .iter()
            .map(|t| format!("{}.{}", ident(&t.table.schema), ident(&t.table.name)))
            .collect::<Vec<_>>()
            .join(", ");
        let mode = settings.publication_autocreate.as_str();
        let with = if settings.publish_via_partition_root {
            " WITH (publish_via_partition_root = true)"
        } else {
            ""
        };
        let sql = match (exists, mode) {
            (true, "filtered") if !list.is_empty() => format!(
                "ALTER PUBLICATION {quoted} SET TABLE {list}; \
                 ALTER PUBLICATION {quoted} SET (publish_via_partition_root = {})",
                settings.publish_via_partition_root
            ),
            (true, _) => {
                let via_root = self.value(&format!(
                    "SELECT pubviaroot FROM pg_publication WHERE pubname = {}",
                    literal(name)
                ))?;
                if via_root.as_deref().map(|v| v == "t")
                    != Some(settings.publish_via_partition_root)
                {
                    tracing::warn!(
                        publication = %name,
                        "the publication's publish_via_partition_root is not \
                         debezium.source.publish.via.partition.root={}: partitioned tables' \
                         changes come under the names the publication says; set it with ALTER \
                         PUBLICATION {quoted} SET (publish_via_partition_root = {})",
                        settings.publish_via_partition_root,
                        settings.publish_via_partition_root
                    );
                }
                return Ok(());
            }
            (false, "disabled") => bail!(
                "publication '{name}' does not exist and publication.autocreate.mode=disabled: \
                 create it (CREATE PUBLICATION {quoted} FOR TABLE ...) or set \
                 debezium.source.publication.autocreate.mode to all_tables or filtered"
            ),
            (false, "filtered") if !list.is_empty() => {
                format!("CREATE PUBLICATION {quoted} FOR TABLE {list}{with}")
            }
            (false, "no_tables") | (false, "filtered") => {
                format!("CREATE PUBLICATION {quoted}{with}")
            }
            (false, _) => format!("CREATE PUBLICATION {quoted} FOR ALL TABLES{with}"),
        };
        tracing::info!(publication = %name, "{sql}");
        self.connection.exec(&sql).map_err(|e| {
            anyhow::anyhow!(
                "cannot set up publication '{name}' ({sql}): {e}. Creating a publication FOR ALL \
                 TABLES needs a superuser; with publication.autocreate.mode=filtered the user \
                 must own the captured tables, or create the publication as an administrator."
            )
        })?;
        Ok(())
    }

    /// Whether the publication exists.
    pub fn publication_exists(&mut self, name: &str) -> Result<bool> {
        Ok(self
            .value(&format!(
                "SELECT 1 FROM pg_publication WHERE pubname = {}",
                literal(name)
            ))?
            .is_some())
    }

    /// The slot's state, if it exists.
    pub fn slot(&mut self, name: &str) -> Result<Option<SlotState>> {
        let rows = self.rows(&format!(
            "SELECT catalog_xmin, active_pid, database, database = current_database(), \
                    confirmed_flush_lsn \
             FROM pg_replication_slots WHERE slot_name = {}",
            literal(name)
        ))?;
        let Some(row) = rows.into_iter().next() else {
            return Ok(None);
        };
        let get = |i: usize| row.get(i).cloned().flatten();
        if get(3).as_deref() != Some("t") {
            bail!(
                "replication slot '{name}' belongs to database '{}', not this one: slot names \
                 are shared by the whole server, so give this capture a slot of its own with \
                 debezium.source.slot.name",
                get(2).unwrap_or_else(|| "(none: a physical slot)".to_owned())
            );
        }
        Ok(Some(SlotState {
            catalog_xmin: get(0).and_then(|x| x.parse().ok()),
            active_pid: get(1).and_then(|pid| pid.parse().ok()),
            confirmed_flush: get(4).unwrap_or_default(),
        }))
    }

    /// How many WAL bytes the slot's confirmed position is behind the
    /// server's current one (`None` if the slot is gone).
    pub fn slot_lag_bytes(&mut self, name: &str) -> Result<Option<u64>> {
        Ok(self
            .value(&format!(
                "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint \
                 FROM pg_replication_slots WHERE slot_name = {}",
                literal(name)
            ))?
            .and_then(|bytes| bytes.parse::<i64>().ok())
            .map(|bytes| bytes.max(0) as u64))
    }

    /// Refuses to go on when no replication slot is free for a new one.
    pub fn check_free_slot(&mut self) -> Result<()> {
        let rows = self.rows(
            "SELECT current_setting('max_replication_slots')::int, count(*) FROM pg_replication_slots",
        )?;
        if let Some([Some(max), Some(used)]) = rows.first().map(Vec::as_slice)
            && used.parse::<i64>().unwrap_or(0) >= max.parse::<i64>().unwrap_or(0)
        {
            bail!(
                "all {max} replication slots are in use: raise max_replication_slots (restart \
                 needed) or drop a slot no longer used (SELECT slot_name, active FROM \
                 pg_replication_slots; SELECT pg_drop_replication_slot('...'))"
            );
        }
        Ok(())
    }

    /// Writes a non-transactional logical decoding message: it reaches the
    /// slot's reader as a position it may acknowledge when nothing else moves.
    pub fn heartbeat(&mut self) -> Result<()> {
        self.connection
            .exec(&format!(
                "SELECT pg_logical_emit_message(false, {}, '')",
                literal(HEARTBEAT_PREFIX)
            ))
            .context("cannot write the heartbeat message")?;
        Ok(())
    }

    /// Runs `statement` (the user's `heartbeat.action.query`), its result unread.
    pub fn execute(&mut self, statement: &str) -> Result<()> {
        self.connection
            .exec(statement)
            .with_context(|| format!("cannot run '{statement}'"))?;
        Ok(())
    }

    /// Drops the slot (`slot.drop.on.stop`).
    pub fn drop_slot(&mut self, name: &str) -> Result<()> {
        self.connection
            .exec(&format!(
                "SELECT pg_drop_replication_slot({})",
                literal(name)
            ))
            .with_context(|| format!("cannot drop replication slot '{name}'"))?;
        Ok(())
    }
}

/// Turns a connection failure into what to check.
fn explain_connect_error(settings: &CaptureSettings, error: &str) -> anyhow::Error {
    let target = format!(
        "{}@{}:{}/{}",
        settings.user, settings.host, settings.port, settings.database
    );
    let hint = if error.contains("password authentication failed") || error.contains("28P01") {
        "the password is wrong: check debezium.source.database.password (or \
         DEBEZIUM_SOURCE_DATABASE_PASSWORD)"
    } else if error.contains("does not exist") && error.contains("database")
        || error.contains("3D000")
    {
        "the database does not exist: check debezium.source.database.dbname"
    } else if error.contains("role") && error.contains("does not exist") {
        "the user does not exist: check debezium.source.database.user"
    } else if error.to_ascii_lowercase().contains("does not support ssl") {
        "the server does not accept TLS: turn ssl on in postgresql.conf, or lower \
         debezium.source.database.sslmode (prefer uses TLS when the server offers it)"
    } else if error.contains("invalid peer certificate")
        || error.contains("sslrootcert")
        || error.contains("TLS handshake failed")
    {
        "the server's certificate could not be verified: point \
         debezium.source.database.sslrootcert at the certificate authority that signed it, and \
         with sslmode=verify-full connect by a name (or address) the certificate holds"
    } else if error.contains("no pg_hba.conf entry") {
        "the server refuses this user or address: add a pg_hba.conf entry for it"
    } else {
        "check that PostgreSQL runs and that debezium.source.database.hostname and .port point at it"
    };
    anyhow::anyhow!("cannot connect to PostgreSQL as {target}: {error}\n  hint: {hint}")
}

/// The schema default Debezium states for a column default expression:
/// literals converted like values, sequences as zero; other expressions
/// (functions such as now()) have none.
fn default_value(kind: &Kind, expression: &str) -> Option<String> {
    if expression.starts_with("nextval(") {
        return Some(kind.zero().to_owned());
    }
    if let Some(epoch) = clock_default(kind, expression) {
        return Some(epoch);
    }
    let literal = if let Some(rest) = expression.strip_prefix('\'') {
        let end = rest
            .find("'::")
            .or_else(|| rest.strip_suffix('\'').map(str::len))?;
        rest[..end].replace("''", "'")
    } else {
        let bare = expression.trim_start_matches('(').trim_end_matches(')');
        let bare = bare.split("::").next().unwrap_or(bare);
        match bare {
            "true" => "t".to_owned(),
            "false" => "f".to_owned(),
            b if b.parse::<f64>().is_ok() => b.to_owned(),
            _ => return None,
        }
    };
    let mut out = Vec::new();
    kind.write_value(&literal, &mut out).ok()?;
    String::from_utf8(out).ok()
}

/// A default no literal gives (`now()`, `CURRENT_TIMESTAMP`,
/// `clock_timestamp()`, `gen_random_uuid()`, ...) of a temporal or uuid
/// column: Debezium states the epoch (the nil UUID), as it cannot know the
/// value (recorded in tests/golden/defaults/). `None` for a literal, or
/// another kind (Debezium states no default for those).
fn clock_default(kind: &Kind, expression: &str) -> Option<String> {
    let bare = expression.trim_start_matches('(');
    let literal = bare.starts_with('\'')
        || bare.starts_with('-')
        || bare.starts_with(|c: char| c.is_ascii_digit())
        || ["true", "false", "NULL"]
            .iter()
            .any(|w| bare.starts_with(w));
    if literal {
        return None;
    }
    let epoch = match kind {
        Kind::Date { .. } => "1970-01-01",
        Kind::TimeMillis { .. } | Kind::TimeMicros => "00:00:00",
        Kind::ZonedTime => "00:00:00+00",
        Kind::TimestampMillis { .. } | Kind::TimestampMicros => "1970-01-01 00:00:00",
        Kind::ZonedTimestamp { .. } => "1970-01-01 00:00:00+00",
        Kind::Text {
            name: Some("io.debezium.data.Uuid"),
            ..
        } => "00000000-0000-0000-0000-000000000000",
        _ => return None,
    };
    let mut out = Vec::new();
    kind.write_value(epoch, &mut out).ok()?;
    String::from_utf8(out).ok()
}

/// `name` quoted as an SQL identifier. Names come from the catalog or the
/// configuration and hold no NUL byte, the only thing quoting refuses.
pub(super) fn ident(name: &str) -> String {
    quote_ident(name).unwrap_or_default()
}

/// `value` quoted as an SQL string literal (see [`ident`]).
pub(super) fn literal(value: &str) -> String {
    quote_literal(value).unwrap_or_default()
}
