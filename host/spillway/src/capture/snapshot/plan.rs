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
//! `spillway.capture.snapshot.chunk.size` rows.

use std::sync::Arc;

use anyhow::{Context, Result};

use super::super::Tables;
use super::super::catalog::{Catalog, ident};
use super::super::settings::CaptureSettings;
use super::super::state::Chunks;
use super::super::table::Table;

/// Rows per heap block assumed when statistics say nothing (narrow rows).
const DEFAULT_ROWS_PER_BLOCK: f64 = 60.0;

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
    /// `SELECT <the table's columns> FROM ONLY <relation>`.
    select: String,
}

impl Part {
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
        .iter()
        .map(|(oid, t)| (*oid, Arc::clone(t)))
        .collect();
    ordered.sort_by(|(_, a), (_, b)| {
        let rank = |t: &Table| settings.filters.include_rank(&t.schema, &t.name);
        (rank(a), &a.schema, &a.name).cmp(&(rank(b), &b.schema, &b.name))
    });
    ordered
}

/// The relations to read for `tables`, in order, each with a fresh chunk
/// plan (`done` 0) of about `chunk_rows` rows per chunk.
pub fn parts(
    catalog: &mut Catalog,
    tables: &[(u32, Arc<Table>)],
    estimates: &Tables,
    chunk_rows: u64,
) -> Result<Vec<Part>> {
    let mut parts = Vec::new();
    for (oid, table) in tables {
        let rows = catalog.rows(&format!(
            "SELECT n.nspname, c.relname, pg_relation_filenode(c.oid), \
                    pg_relation_size(c.oid) / current_setting('block_size')::bigint, \
                    c.reltuples::bigint, c.relpages \
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
                chunks: Chunks::plan(relfilenode, blocks, rows_per_block, chunk_rows),
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
                "public".into(),
                "t".into(),
                Vec::new(),
                Vec::new(),
            )),
            table_oid: 1,
            relation: "public.t".into(),
            chunks,
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
    fn a_chunk_holds_about_the_rows_asked_for() {
        let chunks = Chunks::plan(1, 10_000, 100.0, 20_000);
        assert_eq!(chunks.chunk_blocks, 200);
        assert_eq!(chunks.chunks, 50);
        let unknown = Chunks::plan(1, 10_000, f64::NAN, 6_000);
        assert_eq!(unknown.chunk_blocks, 100, "60 rows per block assumed");
    }
}
