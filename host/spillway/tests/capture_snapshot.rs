//! The initial snapshot against a real PostgreSQL: chunked, parallel,
//! resumable after kill -9 or SIGTERM, and recorded in the captured
//! database so that losing the local directory loses nothing.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::{Duration, Instant};

use serde::Deserialize;
use support::Spillway;
use support::postgres::{Database, start_capture, wait_for_every_id};

mod support;

/// Rows per snapshot chunk in these tests.
const CHUNK: usize = 4000;

/// What these tests read of an event: outputs run to hundreds of megabytes
/// (every event carries its schema), so only these fields are kept.
#[derive(Debug, Clone, PartialEq)]
struct Event {
    /// `source.table` (empty for a tombstone).
    table: String,
    /// `id`, or `n` for the keyless table, of the row after (or before).
    key: Option<i64>,
    /// `op`, or `tombstone`.
    op: String,
    /// `source.snapshot`.
    snapshot: String,
    /// The row after.
    after: Option<Fields>,
}

/// An output line as far as [`Event`] needs it.
#[derive(Deserialize)]
struct Line {
    value: Option<Envelope>,
}

#[derive(Deserialize)]
struct Envelope {
    payload: Payload,
}

#[derive(Deserialize)]
struct Payload {
    op: String,
    source: Source,
    before: Option<Fields>,
    after: Option<Fields>,
}

#[derive(Deserialize)]
struct Source {
    table: String,
    snapshot: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
struct Fields {
    id: Option<i64>,
    n: Option<i64>,
    note: Option<String>,
    big: Option<String>,
}

/// The events in capture's output at `path`, line by line. A line cut by
/// kill -9 is continued by the next run's first event on the same line:
/// that event is read from where it starts.
fn events(path: &Path) -> Vec<Event> {
    use std::io::BufRead;
    const START: &str = r#"{"destination":"#;
    let Ok(file) = std::fs::File::open(path) else {
        return Vec::new();
    };
    std::io::BufReader::new(file)
        .lines()
        .map_while(Result::ok)
        .filter_map(|line| {
            let parsed: Line = serde_json::from_str(&line).ok().or_else(|| {
                let start = line.rfind(START).filter(|at| *at > 0)?;
                serde_json::from_str(&line[start..]).ok()
            })?;
            Some(match parsed.value {
                None => Event {
                    table: String::new(),
                    key: None,
                    op: "tombstone".to_owned(),
                    snapshot: String::new(),
                    after: None,
                },
                Some(Envelope { payload }) => {
                    let fields = payload.after.as_ref().or(payload.before.as_ref());
                    Event {
                        table: payload.source.table,
                        key: fields.and_then(|f| f.id.or(f.n)),
                        op: payload.op,
                        snapshot: payload.source.snapshot.unwrap_or_default(),
                        after: payload.after,
                    }
                }
            })
        })
        .collect()
}

/// Waits until `path` holds at least `count` events.
fn wait_for_events(path: &Path, count: usize) -> Vec<Event> {
    support::postgres::wait_for_read(path, count, events)
}

/// A row's identity in events: table and key.
fn row(event: &Event) -> Option<(String, i64)> {
    Some((event.table.clone(), event.key?))
}

fn op(event: &Event) -> &str {
    &event.op
}

/// Counts capture's output lines, in all and per table, as the file grows,
/// reading only what is new (parsing it all again would let a fast
/// snapshot run past the point a test waits for).
struct Tail {
    path: std::path::PathBuf,
    offset: u64,
    lines: usize,
    per_table: HashMap<String, usize>,
    /// Text to look for in the lines.
    needle: Option<String>,
    /// Whether a line held it.
    found: bool,
}

impl Tail {
    fn new(path: &Path) -> Self {
        Tail {
            path: path.to_owned(),
            offset: 0,
            lines: 0,
            per_table: HashMap::new(),
            needle: None,
            found: false,
        }
    }

    /// Reads what was added; returns self for the counts.
    fn update(&mut self) -> &Self {
        use std::io::{Read, Seek, SeekFrom};
        let Ok(mut file) = std::fs::File::open(&self.path) else {
            return self;
        };
        let mut added = Vec::new();
        // At most 64 MiB at a time: outputs run to hundreds of megabytes.
        if file.seek(SeekFrom::Start(self.offset)).is_err()
            || file.take(64 << 20).read_to_end(&mut added).is_err()
        {
            return self;
        }
        let Some(end) = added.iter().rposition(|&b| b == b'\n') else {
            return self;
        };
        for line in String::from_utf8_lossy(&added[..=end]).lines() {
            self.lines += 1;
            if let Some(needle) = &self.needle {
                self.found |= line.contains(needle.as_str());
            }
            if let Some(at) = line.find("\"table\":\"") {
                let table = line[at + 9..].split('"').next().unwrap_or_default();
                *self.per_table.entry(table.to_owned()).or_default() += 1;
            }
        }
        self.offset += end as u64 + 1;
        self
    }

    /// Waits until `reached` holds of the counts.
    fn wait(&mut self, what: &str, reached: impl Fn(&Tail) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(120);
        while !reached(self.update()) {
            assert!(Instant::now() < deadline, "{what} never reached");
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    fn of(&self, table: &str) -> usize {
        self.per_table.get(table).copied().unwrap_or(0)
    }
}

/// Three tables, snapshotted in include-list order `a`, `b`, `c`: `a`
/// without a key (40,000 rows, REPLICA IDENTITY FULL, chunked by `ctid`
/// like every table) first, so that a test reading the output as it grows
/// reaches the points inside it and between tables before the snapshot
/// ends; `b` with a key (150,000 rows); `c` last (100,000 rows).
fn three_tables(name: &str) -> Database {
    let db = Database::create(name);
    db.sql(
        "CREATE TABLE b (id int PRIMARY KEY, note text);
         INSERT INTO b SELECT g, 'row ' || g FROM generate_series(1, 150000) g;
         CREATE TABLE a (n int, note text);
         ALTER TABLE a REPLICA IDENTITY FULL;
         INSERT INTO a SELECT g, 'row ' || g FROM generate_series(1, 40000) g;
         CREATE TABLE c (id int PRIMARY KEY);
         INSERT INTO c SELECT generate_series(1, 100000);
         ANALYZE;",
    );
    db
}

fn snapshot_config(db: &Database, dir: &Path, slot: &str, extra: &str) -> std::path::PathBuf {
    db.config(
        dir,
        slot,
        &format!(
            "debezium.source.table.include.list=public.a,public.b,public.c\n\
             spillway.capture.snapshot.chunk.size={CHUNK}\n\
             spillway.capture.batch.size=50\n\
             {extra}"
        ),
    )
}

/// Where a snapshot is killed.
#[derive(Debug, Clone, Copy)]
#[repr(u8)]
enum Point {
    /// As soon as the first events are out.
    Early,
    /// In the middle of the large keyed table.
    InsideTable,
    /// When the first table is done and the next starts.
    BetweenTables,
    /// In the middle of the keyless table.
    InsideKeyless,
}

#[test]
fn kill_9_early_in_a_snapshot_resumes_it_and_loses_nothing() {
    kill_9_at(Point::Early);
}

#[test]
fn kill_9_inside_a_table_resumes_the_snapshot_and_loses_nothing() {
    kill_9_at(Point::InsideTable);
}

#[test]
fn kill_9_between_tables_resumes_the_snapshot_and_loses_nothing() {
    kill_9_at(Point::BetweenTables);
}

#[test]
fn kill_9_inside_a_keyless_table_resumes_the_snapshot_and_loses_nothing() {
    kill_9_at(Point::InsideKeyless);
}

/// kill -9 at `point` of a three-table snapshot, with rows deleted,
/// updated and inserted before the restart: the restart resumes from the
/// chunks recorded in the database, reads at most one chunk again, and
/// every row arrives with its last value; the keyless table is read in
/// `ctid` chunks.
fn kill_9_at(point: Point) {
    let name = format!("snapshot_kill_{}", point as u8);
    let db = three_tables(&name);
    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().join("events.jsonl");
    let config = snapshot_config(&db, dir.path(), &name, "");
    let capture = start_capture(&config, &dir, &out);
    Tail::new(&out).wait(&format!("{point:?}"), |tail| match point {
        Point::Early => tail.lines > 0,
        Point::InsideTable => tail.of("b") >= 50_000,
        Point::BetweenTables => tail.of("b") >= 1,
        Point::InsideKeyless => tail.of("a") >= 15_000,
    });
    capture.kill_9();
    let first = events(&out);
    assert!(
        first.len() < 290_000,
        "{point:?}: killed before the snapshot finished ({} events)",
        first.len()
    );
    let keyless_chunks = db.sql(
        "SELECT state->>'chunks' FROM public.spillway_capture_state \
         WHERE item = 'chunks \"public\".\"a\"'",
    );
    assert!(
        keyless_chunks.trim().parse::<u64>().unwrap_or(0) >= 5,
        "{point:?}: the keyless table is planned in ctid chunks of about {CHUNK} rows: \
         {keyless_chunks:?}"
    );
    db.sql(
        "DELETE FROM b WHERE id = 7; UPDATE b SET note = 'late' WHERE id = 149000;
         INSERT INTO b VALUES (150001, 'new'); DELETE FROM a WHERE n = 3;",
    );

    let mut capture = start_capture(&config, &dir, &out);
    capture.wait_for("streaming", 1);
    let log = capture.log();
    assert!(log.contains("snapshot resumed"), "{point:?}: {log}");
    assert!(
        !log.contains("dropping") && !log.contains("snapshot started"),
        "{point:?}: the slot is kept and the snapshot resumed: {log}"
    );
    // The snapshot is out before streaming starts; the changes made
    // while capture was down follow, the insert among them.
    let mut tail = Tail::new(&out);
    tail.needle = Some(r#""payload":{"id":150001}"#.to_owned());
    tail.wait(&format!("{point:?}: the insert"), |tail| tail.found);
    let all = events(&out);
    capture.terminate();

    let mut last: HashMap<(String, i64), &Event> = HashMap::new();
    for record in &all {
        if let Some(key) = row(record)
            && op(record) != "tombstone"
        {
            last.insert(key, record);
        }
    }
    for (table, ids) in [("b", 1..150_002), ("a", 1..40_001), ("c", 1..100_001)] {
        let missing: Vec<i64> = ids
            .filter(|i| !last.contains_key(&(table.to_owned(), *i)))
            .collect();
        assert!(
            missing.is_empty(),
            "{point:?}: rows of {table} never delivered: {:?}",
            &missing[..missing.len().min(10)]
        );
    }
    let value = |t: &str, i: i64| last[&(t.to_owned(), i)];
    assert_eq!(op(value("b", 7)), "d", "{point:?}: the delete arrives last");
    assert_eq!(op(value("a", 3)), "d", "{point:?}: the keyless delete too");
    assert_eq!(
        value("b", 149_000)
            .after
            .as_ref()
            .and_then(|f| f.note.as_deref()),
        Some("late"),
        "{point:?}: the update's value is the last"
    );
    assert_eq!(
        op(value("b", 150_001)),
        "c",
        "{point:?}: the insert arrives"
    );

    // Rows read before the kill and again after it: at most the chunk
    // being written when it came (and the row held before it).
    let before: HashSet<(String, i64)> = first
        .iter()
        .filter(|r| op(r) == "r")
        .filter_map(row)
        .collect();
    let again = all[first.len()..]
        .iter()
        .filter(|r| op(r) == "r")
        .filter_map(row)
        .filter(|k| before.contains(k))
        .count();
    assert!(
        again <= CHUNK + 200,
        "{point:?}: {again} rows were read again after the restart"
    );
}

/// SIGTERM stops a snapshot within seconds; the next start resumes it.
#[test]
fn sigterm_during_the_snapshot_stops_within_seconds_and_the_next_start_resumes_it() {
    let db = Database::create("snapshot_term");
    db.sql(
        "CREATE TABLE t (id int PRIMARY KEY, note text);
         INSERT INTO t SELECT g, repeat('x', 200) FROM generate_series(1, 120000) g;",
    );
    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().join("events.jsonl");
    let config = db.config(
        dir.path(),
        "snapshot_term",
        "spillway.capture.batch.size=16\n\
         spillway.capture.snapshot.chunk.size=5000\n\
         spillway.capture.progress.interval.ms=100",
    );
    let capture = start_capture(&config, &dir, &out);
    // Past the first chunks, so some are recorded as done.
    Tail::new(&out).wait("20,000 events", |tail| tail.lines >= 20_000);
    let asked = Instant::now();
    let log = capture.terminate();
    let took = asked.elapsed();
    assert!(log.contains("stopping during the snapshot"), "{log}");
    assert!(
        took < Duration::from_secs(10),
        "stopped after {took:?}:\n{log}"
    );
    let first = events(&out).len();
    assert!(first < 120_000, "stopped before the end");
    let mut capture = start_capture(&config, &dir, &out);
    capture.wait_for("snapshot resumed", 1);
    wait_for_every_id(&out, "r", 1..120_001);
    capture.wait_for("streaming", 1);
    capture.terminate();
    assert!(
        events(&out).len() < first + 120_000,
        "the second run did not read everything again"
    );
}

/// Several readers write the same events, in the same order, with the same
/// snapshot markers, as one.
#[test]
fn parallel_readers_write_the_same_events_as_one() {
    let db = three_tables("snapshot_threads");
    let mut runs = Vec::new();
    for threads in [1, 3] {
        let dir = tempfile::tempdir().expect("dir");
        let out = dir.path().join("events.jsonl");
        let slot = format!("snapshot_threads_{threads}");
        let config = snapshot_config(
            &db,
            dir.path(),
            &slot,
            &format!(
                "debezium.source.snapshot.mode=initial_only\n\
                 debezium.source.snapshot.max.threads={threads}"
            ),
        );
        let mut capture =
            Spillway::start_with_output("capture", &config, dir.path(), None, Some(&out));
        assert!(capture.exit_status().success(), "{}", capture.log());
        let run: Vec<(Option<(String, i64)>, String)> = events(&out)
            .iter()
            .map(|e| (row(e), e.snapshot.clone()))
            .collect();
        runs.push(run);
    }
    assert_eq!(runs[0].len(), 290_000);
    let order: Vec<&str> = ["a", "b", "c"].to_vec();
    let mut seen: Vec<&str> = Vec::new();
    for (key, _) in &runs[0] {
        let table = key.as_ref().map(|(t, _)| t.as_str()).expect("a row");
        let table = order.iter().find(|t| **t == table).expect("captured");
        if seen.last() != Some(table) {
            seen.push(table);
        }
    }
    assert_eq!(seen, order, "tables in include-list order");
    assert_eq!(
        runs[0].first().map(|e| e.1.clone()),
        Some("first".to_owned())
    );
    assert_eq!(runs[0].last().map(|e| e.1.clone()), Some("last".to_owned()));
    assert!(
        runs[0] == runs[1],
        "three readers wrote other events than one"
    );
}

/// The state lives in the captured database: a capture started from
/// another directory (the local one lost) neither drops the slot nor takes
/// the snapshot again, and streams what changed meanwhile. Spillway 0.1's
/// state file is carried in; with the state table gone, capture refuses to
/// guess and names the choice, keeping the slot.
#[test]
fn the_state_lives_with_the_data() {
    let db = Database::create("snapshot_state");
    db.sql(
        "CREATE TABLE t (id int PRIMARY KEY, note text);
         INSERT INTO t VALUES (1, 'one'), (2, 'two'), (3, 'three');",
    );
    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().join("events.jsonl");
    let config = db.config(dir.path(), "snapshot_state", "");
    let mut capture = start_capture(&config, &dir, &out);
    wait_for_events(&out, 3);
    capture.wait_for("streaming", 1);
    capture.terminate();
    db.sql("DELETE FROM t WHERE id = 1; UPDATE t SET note = 'changed' WHERE id = 2;");

    // Another working directory: nothing local is shared.
    let elsewhere = tempfile::tempdir().expect("dir");
    let moved = elsewhere.path().join("capture.properties");
    std::fs::copy(&config, &moved).expect("config");
    let mut capture = start_capture(&moved, &elsewhere, &out);
    let events = wait_for_events(&out, 3 + 3);
    capture.wait_for("streaming", 1);
    capture.terminate();
    let ops: Vec<(&str, i64)> = events[3..]
        .iter()
        .map(|r| (op(r), row(r).map_or(0, |k| k.1)))
        .collect();
    assert_eq!(
        ops,
        [("d", 1), ("tombstone", 0), ("u", 2)],
        "no new snapshot; the delete and the update the slot kept"
    );

    // Spillway 0.1's file, when the table has nothing for the slot.
    db.sql("DELETE FROM public.spillway_capture_state");
    std::fs::write(
        dir.path().join("state.json"),
        r#"{"database":"snapshot_state","slot":"snapshot_state","consistent_point":"0/0"}"#,
    )
    .expect("legacy state");
    db.sql("INSERT INTO t VALUES (4, 'four')");
    let mut capture = start_capture(&config, &dir, &out);
    let events = wait_for_events(&out, 7);
    capture.wait_for("streaming", 1);
    let log = capture.terminate();
    assert!(log.contains("carried the snapshot record"), "{log}");
    assert_eq!(events.len(), 7, "streamed on: {events:?}");
    assert_eq!(op(&events[6]), "c");

    // The table gone: refused, the slot kept where it was.
    db.sql("DROP TABLE public.spillway_capture_state");
    std::fs::remove_file(dir.path().join("state.json")).expect("legacy state");
    let slot_before = db.confirmed_lsn("snapshot_state");
    let mut capture = Spillway::start("capture", &config, dir.path(), None);
    assert!(
        !capture.exit_status().success(),
        "capture should refuse to start"
    );
    let log = capture.log();
    assert!(
        log.contains("records no snapshot for it") && log.contains("snapshot.mode=no_data"),
        "the refusal names the choice:\n{log}"
    );
    assert_eq!(
        db.confirmed_lsn("snapshot_state"),
        slot_before,
        "the slot is kept"
    );
}

/// A row the stored chunks never saw, moved into their blocks by an update
/// while capture was down (space freed there by a delete and VACUUM): the
/// stream's update lacks its unchanged TOASTed value, so the resumed
/// snapshot reads it again from the stored blocks, whole.
#[test]
fn a_row_moved_into_stored_chunks_arrives_with_its_toasted_value() {
    let db = Database::create("snapshot_moved");
    db.sql(
        "CREATE TABLE t (id int PRIMARY KEY, note text, big text);
         ALTER TABLE t ALTER COLUMN big SET STORAGE EXTERNAL;
         INSERT INTO t SELECT g, 'row', (SELECT string_agg(md5(g::text || i::text), '')
                                         FROM generate_series(1, 100) i)
           FROM generate_series(1, 20000) g;",
    );
    db.sql("VACUUM ANALYZE t");
    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().join("events.jsonl");
    let config = db.config(
        dir.path(),
        "snapshot_moved",
        "spillway.capture.snapshot.chunk.size=1000\nspillway.capture.batch.size=50",
    );
    let capture = start_capture(&config, &dir, &out);
    Tail::new(&out).wait("3,000 events", |tail| tail.lines >= 3000);
    capture.kill_9();
    let stored_blocks: i64 = db
        .sql(
            "SELECT (state->>'done')::bigint * (state->>'chunk_blocks')::bigint \
             FROM public.spillway_capture_state WHERE item = 'chunks \"public\".\"t\"'",
        )
        .trim()
        .parse()
        .expect("chunks recorded");
    assert!(stored_blocks > 0, "some chunks are recorded as stored");
    // The first page emptied, the last one removed: the first is the only
    // one with room.
    db.sql(
        "DELETE FROM t WHERE (ctid::text::point)[0] IN \
         (0, (SELECT max((ctid::text::point)[0]) FROM t))",
    );
    db.sql("VACUUM t");
    // A row in the middle, on a full page: its new version goes where the
    // free space map has room, the page emptied above.
    db.sql("UPDATE t SET note = 'moved' WHERE id = 10000");
    let block: i64 = db
        .sql("SELECT (ctid::text::point)[0]::bigint FROM t WHERE id = 10000")
        .trim()
        .parse()
        .expect("block");
    assert!(
        block < stored_blocks,
        "the update moved the row into a stored chunk (block {block} of {stored_blocks})"
    );
    let big = db
        .sql("SELECT big FROM t WHERE id = 10000")
        .trim()
        .to_owned();

    let mut capture = start_capture(&config, &dir, &out);
    capture.wait_for("streaming", 1);
    let deadline = Instant::now() + Duration::from_secs(60);
    let events = loop {
        let events: Vec<Event> = events(&out)
            .into_iter()
            .filter(|r| row(r) == Some(("t".to_owned(), 10000)))
            .collect();
        if events.iter().any(|r| op(r) == "u") {
            break events;
        }
        assert!(Instant::now() < deadline, "the update never arrived");
        std::thread::sleep(Duration::from_millis(100));
    };
    capture.terminate();
    let read = events
        .iter()
        .find(|r| op(r) == "r")
        .expect("the moved row is read again");
    let after = read.after.as_ref().expect("a row");
    assert_eq!(after.big.as_deref(), Some(big.as_str()));
    assert_eq!(after.note.as_deref(), Some("moved"));
}
