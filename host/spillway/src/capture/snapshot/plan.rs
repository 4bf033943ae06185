//! What the snapshot reads, in which order, in which chunks.
//!
//! Tables are read in the order of `table.include.list` (the first pattern
//! a table matches; by name among those one pattern matches), as Debezium
//! orders its snapshot. Each table is read relation by relation (itself, or
//! with `publish.via.partition.root` its leaf partitions), and each
//! relation in chunks of heap blocks, by `ctid` range (PostgreSQL 14's TID
//! range scans): chunk `i` holds the rows whose `ctid` lies in blocks
//! `[i * chunk_blocks, (i + 1) * chunk_blocks)`, the last one every block
//! from its first on. `ctid` ranges, unlike key ranges, need no key, can be
//! cut before reading, and read the heap in order (PeerDB's parallel
//! initial load chunks the same way). The number of blocks per chunk comes
//! from the relation's rows per block, so a chunk holds about
//! `spillway.capture.snapshot.chunk.size` rows, fewer where events are
//! large: a chunk is held in memory as events, so it is kept to about
//! [`CHUNK_EVENT_BYTES`] of them, estimated from the table's bytes per row
//! (TOASTed values count) and the schemas each event carries.

use std::sync::Arc;

use anyhow::{Context, Result};

use super::super::Tables;
use super::super::catalog::{Catalog, ident, literal};
use super::super::event::Schemas;
use super::super::settings::CaptureSettings;
use super::super::state::Chunks;
use super::super::table::Table;

/// Rows per heap block assumed when statistics say nothing (narrow rows).
const DEFAULT_ROWS_PER_BLOCK: f64 = 60.0;

/// About how many bytes of events one chunk holds at most. Up to
/// `max.threads + 2` chunks are in memory at once; chunks of 1,000 to 2,000
/// events of 2.6 KB (4 to 5 MiB) read fastest and kept capture under 80 MB
/// with 2 threads, where 5,000 took 180 MB (docs/BENCHMARKS.md).
pub const CHUNK_EVENT_BYTES: f64 = 4.0 * 1024.0 * 1024.0;

/// About how many bytes one event of `table` takes, for rows of `row_bytes`
/// bytes in the table: its JSON (taken as twice the row), the envelope and
/// `source` block, and the schemas it carries.
fn event_bytes(table: &Table, schemas: Schemas, row_bytes: f64) -> f64 {
    let mut bytes = 512.0 + 2.0 * row_bytes;
    if schemas.value {
        bytes += table.envelope_schema.len() as f64;
    }
    if schemas.key {
        bytes += table.key_schema.len() as f64;
    }
    bytes
}

/// The chunk number standing for a relation's catch-up read (see
/// [`Part::catch_up_sql`]).
pub const CATCH_UP: u64 = u64::MAX;

/// A row version's `xmin` as a full transaction id (`xid8`): in the epoch
/// of the reading snapshot's `xmax`, or the one before when its low 32
/// bits are above `xmax`'s (every row a snapshot sees was written less
/// than 2^31 transactions before its `xmax`).
const XMIN8: &str = "((((pg_snapshot_xmax(pg_current_snapshot())::text::bigint >> 32) \
     - CASE WHEN xmin::text::bigint > (pg_snapshot_xmax(pg_current_snapshot())::text::bigint \
     & 4294967295) THEN 1 ELSE 0 END) << 32) | xmin::text::bigint)::text::xid8";

/// One relation the snapshot reads, and the table its rows belong to.
pub struct Part {
    /// The captured table (for a leaf partition, its root).
    pub table: Arc<Table>,
    /// The table's OID.
    pub table_oid: u32,
    /// The relation read, quoted and qualified.
    pub relation: String,
    /// Its chunks.
    pub chunks: Chunks,
    /// Whether its stored chunks' blocks are read again first (see
    /// [`Part::catch_up_sql`]).
    pub catch_up: bool,
    /// `SELECT <the table's columns> FROM ONLY <relation>`.
    select: String,
}

impl Part {
    /// The statement reading chunk `i` ([`CATCH_UP`]: see
    /// [`Part::catch_up_sql`]).
    pub fn sql(&self, i: u64, horizon: &str) -> String {
        if i == CATCH_UP {
            self.catch_up_sql(horizon)
        } else {
            self.chunk_sql(i)
        }
    }

    /// For a relation partly read before a restart: the rows in the blocks
    /// of its stored chunks that were written after `horizon`, the snapshot
    /// those chunks were read in (`pg_current_snapshot()`'s text). An
    /// update can move a row the stored chunks never saw into their blocks;
    /// the stream brings the update, but not the values it left unchanged
    /// (TOASTed ones), so the row is read again here.
    pub fn catch_up_sql(&self, horizon: &str) -> String {
        let read = self.chunks.done * self.chunks.chunk_blocks;
        format!(
            "{} WHERE ctid < '({read},0)'::tid AND NOT pg_visible_in_snapshot({XMIN8}, {}::pg_snapshot)",
            self.select,
            literal(horizon)
        )
    }

    /// The statement reading chunk `i`.
    pub fn chunk_sql(&self, i: u64) -> String {
        let from = i * self.chunks.chunk_blocks;
        if i + 1 < self.chunks.chunks {
            let to = from + self.chunks.chunk_blocks;
            format!(
                "{} WHERE ctid >= '({from},0)'::tid AND ctid < '({to},0)'::tid",
                self.select
            )
        } else {
            format!("{} WHERE ctid >= '({from},0)'::tid", self.select)
        }
    }
}

impl Chunks {
    /// A plan for a relation of `blocks` heap blocks holding about
    /// `rows_per_block` rows each, in chunks of about `chunk_rows` rows.
    pub fn plan(relfilenode: u32, blocks: u64, rows_per_block: f64, chunk_rows: u64) -> Chunks {
        let per_block = if rows_per_block.is_finite() && rows_per_block >= 1.0 {
            rows_per_block
        } else {
            DEFAULT_ROWS_PER_BLOCK
        };
        let chunk_blocks = ((chunk_rows.max(1) as f64 / per_block).ceil() as u64).max(1);
        Chunks {
            relfilenode,
            chunk_blocks,
            chunks: blocks.div_ceil(chunk_blocks).max(1),
            done: 0,
            rows: 0,
        }
    }
}

/// The captured tables in snapshot order: by the first `table.include.list`
/// pattern each matches, then by schema and name.
pub fn ordered(settings: &CaptureSettings, tables: &Tables) -> Vec<(u32, Arc<Table>)> {
    let mut ordered: Vec<(u32, Arc<Table>)> = tables
        .by_oid
        .keys()
        .filter_map(|oid| Some((*oid, Arc::clone(tables.for_snapshot(*oid)?))))
        .collect();
    ordered.sort_by(|(_, a), (_, b)| {
        let rank = |t: &Table| settings.filters.include_rank(&t.schema, &t.name);
        (rank(a), &a.schema, &a.name).cmp(&(rank(b), &b.schema, &b.name))
    });
    ordered
}

/// The relations to read for `tables`, in order, each with a fresh chunk
/// plan (`done` 0) of about `chunk_rows` rows per chunk, fewer where that
/// many events, carrying `schemas`, would pass [`CHUNK_EVENT_BYTES`].
pub fn parts(
    catalog: &mut Catalog,
    tables: &[(u32, Arc<Table>)],
    estimates: &Tables,
    chunk_rows: u64,
    schemas: Schemas,
) -> Result<Vec<Part>> {
    let mut parts = Vec::new();
    for (oid, table) in tables {
        let rows = catalog.rows(&format!(
            "SELECT n.nspname, c.relname, pg_relation_filenode(c.oid), \
                    pg_relation_size(c.oid) / current_setting('block_size')::bigint, \
                    c.reltuples::bigint, c.relpages, pg_table_size(c.oid) \
             FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind = 'r' AND (c.oid = {oid} OR c.oid IN \
                   (SELECT relid FROM pg_partition_tree({oid}::regclass) WHERE isleaf)) \
             ORDER BY n.nspname, c.relname"
        ))?;
        if rows.is_empty() {
            tracing::warn!(
                table = %format!("{}.{}", table.schema, table.name),
                "the snapshot reads nothing of this table: it has no storage of its own \
                 (no partition, or only foreign ones)"
            );
        }
        let columns: Vec<String> = table.columns.iter().map(|c| ident(&c.name)).collect();
        let blocks_of = |row: &[Option<String>]| -> u64 {
            row.get(3)
                .cloned()
                .flatten()
                .and_then(|b| b.parse().ok())
                .unwrap_or(0)
        };
        let all_blocks: u64 = rows.iter().map(|r| blocks_of(r)).sum();
        let table_estimate = estimates.estimates.get(oid).copied().unwrap_or(0);
        for row in &rows {
            let get = |i: usize| row.get(i).cloned().flatten();
            let (Some(schema), Some(name)) = (get(0), get(1)) else {
                continue;
            };
            let relation = format!("{}.{}", ident(&schema), ident(&name));
            let relfilenode = get(2)
                .and_then(|f| f.parse().ok())
                .with_context(|| format!("{relation} has no storage"))?;
            let blocks = blocks_of(row);
            let tuples: f64 = get(4).and_then(|t| t.parse().ok()).unwrap_or(-1.0);
            let pages: f64 = get(5).and_then(|p| p.parse().ok()).unwrap_or(0.0);
            let rows_per_block = if tuples > 0.0 && pages > 0.0 {
                tuples / pages
            } else if all_blocks > 0 {
                table_estimate as f64 / all_blocks as f64
            } else {
                DEFAULT_ROWS_PER_BLOCK
            };
            let bytes: f64 = get(6).and_then(|b| b.parse().ok()).unwrap_or(0.0);
            let rows = (blocks as f64 * rows_per_block).max(1.0);
            let by_bytes =
                (CHUNK_EVENT_BYTES / event_bytes(table, schemas, bytes / rows)).max(1.0) as u64;
            parts.push(Part {
                table: Arc::clone(table),
                table_oid: *oid,
                select: format!(
                    "SELECT {} FROM ONLY {relation}",
                    if columns.is_empty() {
                        "NULL".to_owned()
                    } else {
                        columns.join(", ")
                    }
                ),
                relation,
                catch_up: false,
                chunks: Chunks::plan(
                    relfilenode,
                    blocks,
                    rows_per_block,
                    chunk_rows.min(by_bytes),
                ),
            });
        }
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(chunks: Chunks) -> Part {
        Part {
            table: Arc::new(Table::new(
                "test",
                Default::default(),
                "public".into(),
                "t".into(),
                Vec::new(),
                Vec::new(),
            )),
            table_oid: 1,
            relation: "public.t".into(),
            chunks,
            catch_up: false,
            select: "SELECT id FROM ONLY public.t".into(),
        }
    }

    #[test]
    fn chunks_cover_every_block_once_and_the_last_is_open_ended() {
        for (blocks, per_block, chunk_rows) in [
            (0, 60.0, 10_000),
            (1, 60.0, 10_000),
            (1000, 50.0, 5_000),
            (1001, 50.0, 5_000),
            (7, 0.0, 1),
            (12_345, 133.7, 20_000),
        ] {
            let chunks = Chunks::plan(7, blocks, per_block, chunk_rows);
            assert!(chunks.chunk_blocks >= 1 && chunks.chunks >= 1);
            assert!(chunks.chunks * chunks.chunk_blocks >= blocks, "{chunks:?}");
            assert!(
                (chunks.chunks - 1) * chunks.chunk_blocks < blocks.max(1),
                "no chunk beyond the end: {chunks:?}"
            );
            let part = part(chunks);
            let last = part.chunk_sql(chunks.chunks - 1);
            assert!(!last.contains("ctid <"), "{last}");
            for i in 0..chunks.chunks - 1 {
                let sql = part.chunk_sql(i);
                let next = part.chunk_sql(i + 1);
                let upper = sql.split("ctid < ").nth(1).expect("bounded");
                let lower = next.split("ctid >= ").nth(1).expect("bounded");
                assert_eq!(
                    upper.split("::tid").next(),
                    lower.split("::tid").next(),
                    "chunk {i} ends where {} starts",
                    i + 1
                );
            }
        }
    }

    #[test]
    fn a_catch_up_reads_the_stored_blocks_written_after_the_horizon() {
        let mut chunks = Chunks::plan(7, 1000, 50.0, 5_000);
        chunks.done = 3;
        let sql = part(chunks).sql(CATCH_UP, "100:104:101");
        assert!(sql.starts_with("SELECT id FROM ONLY public.t WHERE ctid < '(300,0)'::tid"));
        assert!(sql.ends_with("'100:104:101'::pg_snapshot)"), "{sql}");
        assert_eq!(part(chunks).sql(3, ""), part(chunks).chunk_sql(3));
    }

    #[test]
    fn a_chunk_holds_about_the_rows_asked_for() {
        let chunks = Chunks::plan(1, 10_000, 100.0, 20_000);
        assert_eq!(chunks.chunk_blocks, 200);
        assert_eq!(chunks.chunks, 50);
        let unknown = Chunks::plan(1, 10_000, f64::NAN, 6_000);
        assert_eq!(unknown.chunk_blocks, 100, "60 rows per block assumed");
    }
}
