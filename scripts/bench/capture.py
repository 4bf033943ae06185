"""The capture benchmark (run through scripts/bench-capture).

On one database, in one run: N rows streamed (written after every reader's
slot was created, then read by each reader in turn from its own slot) and
N rows snapshotted (two tables of N/2 rows, with snapshot.max.threads 1 and
2 for Spillway and for Debezium). Readers: pg_recvlogical (the server's decoding, to
/dev/null), Debezium (embedded engine, JSON with schemas, counted by a
handler that does nothing else), and Spillway (stdout sink to /dev/null; its
debug log says when each batch was stored), streaming also once more with
Debezium's ExtractNewRecordState transform (`unwrap`) configured. For each: events/s between
the first and the last event, CPU seconds and peak resident memory of the
reader's process. Prints a table, writes it as JSON and draws a chart (SVG).
"""

import json
from datetime import datetime
import os
import subprocess
import sys
import time

N = int(sys.argv[1])
SPILLWAY, WORK, OUT_JSON, OUT_SVG = sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
HERE = os.path.dirname(os.path.abspath(__file__))
DB = "bench"


def psql(sql, db=DB):
    return subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", sql],
                          check=True, capture_output=True, text=True).stdout.strip()


def measured(argv, **kwargs):
    """Starts argv; returns (process, start time)."""
    return subprocess.Popen(argv, **kwargs), time.monotonic()


def usage(proc):
    """Waits for proc; returns (cpu seconds, peak RSS in MB)."""
    _, _, ru = os.wait4(proc.pid, 0)
    proc.returncode = 0
    return ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024


SNAPSHOT_TABLES = "bench.snap_a,bench.snap_b"


def spillway(mode, slot, name, extra=(), label="Spillway", tables="bench.items", publication="bench_pub"):
    config = os.path.join(WORK, f"{name}.properties")
    with open(config, "w") as f:
        f.write("\n".join([
            "debezium.source.connector.class=io.debezium.connector.postgresql.PostgresConnector",
            f"debezium.source.database.hostname={os.environ['PGHOST']}",
            f"debezium.source.database.port={os.environ['PGPORT']}",
            f"debezium.source.database.user={os.environ['PGUSER']}",
            f"debezium.source.database.password={os.environ['PGPASSWORD']}",
            f"debezium.source.database.dbname={DB}",
            "debezium.source.topic.prefix=bench",
            f"debezium.source.slot.name={slot}",
            f"debezium.source.publication.name={publication}",
            "debezium.source.publication.autocreate.mode=disabled",
            f"debezium.source.table.include.list={tables}",
            f"debezium.source.snapshot.mode={mode}",
            *(extra or ["debezium.sink.type=stdout"]),
        ]) + "\n")
    # Events go to /dev/null; the log says when each batch was stored.
    log_path = os.path.join(WORK, f"{name}.log")
    env = dict(os.environ, RUST_LOG="info,spillway::capture=debug", NO_COLOR="1")
    wall_start = time.time()
    proc, start = measured([SPILLWAY, "capture", "--config", config], stdout=subprocess.DEVNULL,
                           stderr=open(log_path, "w"), env=env)
    stored_at = None
    while stored_at is None:
        if proc.poll() is not None:
            sys.exit(f"spillway stopped; see {log_path}")
        time.sleep(0.05)
        for line in open(log_path):
            if "events stored" in line and int(line.rsplit("total=", 1)[1].split()[0]) >= N:
                stored_at = datetime.fromisoformat(line.split()[0].replace("Z", "+00:00")).timestamp()
                break
    proc.terminate()
    cpu, rss = usage(proc)
    last = start + (stored_at - wall_start)
    # Startup (connecting, starting replication) is counted in: milliseconds.
    return result(label, start, start, last, cpu, rss)


def debezium(mode, slot, label="Debezium", snapshot_threads=None):
    extra = [SNAPSHOT_TABLES, "bench_snap_pub", str(snapshot_threads)] if snapshot_threads else []
    proc, start = measured([sys.executable, os.path.join(HERE, "debezium_reader.py"), str(N), mode, slot, WORK,
                            *extra],
                           stdout=subprocess.PIPE, stderr=open(os.path.join(WORK, f"debezium-{slot}.log"), "w"))
    line = next((l for l in proc.stdout if l.startswith(b"RESULT ")), None)
    cpu, rss = usage(proc)
    if not line:
        sys.exit(f"Debezium failed; see {WORK}/debezium-{slot}.log")
    times = json.loads(line[len(b"RESULT "):])
    return result(label, start, times["first"], times["last"], cpu, rss)


def result(reader, start, first, last, cpu, rss):
    return {"reader": reader, "events_per_s": N / max(last - first, 1e-6), "wall_s": last - start,
            "cpu_s": cpu, "peak_rss_mb": rss}


def recvlogical(slot, end_lsn, label):
    """pg_recvlogical to /dev/null, timed until the walsender has sent
    everything up to end_lsn (pg_stat_replication.sent_lsn): --endpos would
    wait for a keepalive past a position no commit ends at."""
    proc, start = measured(["pg_recvlogical", "-d", DB, "-S", slot, "--start", "--no-loop",
                            "-o", "proto_version=1", "-o", "publication_names=bench_pub",
                            "-f", "/dev/null"])
    while psql(f"SELECT count(*) FROM pg_stat_replication WHERE application_name = 'pg_recvlogical' "
               f"AND sent_lsn >= '{end_lsn}'") != "1":
        if proc.poll() is not None:
            sys.exit("pg_recvlogical stopped")
        time.sleep(0.02)
    wall = time.monotonic() - start
    proc.terminate()
    cpu, rss = usage(proc)
    return {"reader": label, "events_per_s": N / wall, "wall_s": wall, "cpu_s": cpu, "peak_rss_mb": rss}


def copy_table():
    proc, start = measured(["psql", "-X", "-q", "-d", DB, "-c",
                            "COPY bench.snap_a TO STDOUT; COPY bench.snap_b TO STDOUT"],
                           stdout=subprocess.DEVNULL)
    cpu, rss = usage(proc)
    wall = time.monotonic() - start
    return {"reader": "COPY (psql)", "events_per_s": N / wall, "wall_s": wall, "cpu_s": cpu, "peak_rss_mb": rss}


def setup():
    for slot in psql("SELECT slot_name FROM pg_replication_slots WHERE database = 'bench'", "postgres").split():
        psql(f"SELECT pg_drop_replication_slot('{slot}')", "postgres")
    psql(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)", "postgres")
    psql(f"CREATE DATABASE {DB}", "postgres")
    psql("CREATE SCHEMA bench; CREATE TABLE bench.items (id int PRIMARY KEY, name varchar(100) NOT NULL, "
         "price numeric(10,2), created_at timestamp NOT NULL); CREATE PUBLICATION bench_pub FOR TABLE bench.items")


def write_rows():
    step = 10_000
    statements = "".join(
        f"INSERT INTO bench.items SELECT g, 'item ' || g, g % 1000 + 0.99, "
        f"'2024-01-01'::timestamp + g * interval '1 second' FROM generate_series({s + 1}, {min(s + step, N)}) g;\n"
        for s in range(0, N, step))
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", DB], input=statements, text=True, check=True)
    return psql("SELECT pg_current_wal_lsn()")


def cpu_seconds(pid):
    """CPU time used so far by a process we did not start (the emulator)."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def sinks():
    """The Kinesis sink against the stdout sink, on the same streamed rows."""
    setup()
    for slot in ["bench_stdout", "bench_kinesis"]:
        psql(f"SELECT pg_create_logical_replication_slot('{slot}', 'pgoutput')")
    print(f"writing {N} rows in transactions of 10,000", file=sys.stderr)
    write_rows()
    rows = [spillway("no_data", "bench_stdout", "spillway-stdout", label="Spillway, stdout sink")]
    moto = int(os.environ["MOTO_PID"])
    before = cpu_seconds(moto)
    rows.append(spillway("no_data", "bench_kinesis", "spillway-kinesis", label="Spillway, Kinesis sink (moto)",
                         extra=["debezium.sink.type=kinesis", "spillway.kinesis.auto.create.streams=true"]))
    rows[-1]["emulator_cpu_s"] = cpu_seconds(moto) - before
    with open(OUT_JSON, "w") as f:
        json.dump({"rows": N, "sinks": rows}, f, indent=2)
    print(f"\nstreamed, {N:,} rows")
    print("| sink | events/s | CPU s (Spillway) | CPU s (emulator) | peak RSS MB |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['reader']} | {r['events_per_s']:,.0f} | {r['cpu_s']:.1f} | "
              f"{r.get('emulator_cpu_s', 0):.1f} | {r['peak_rss_mb']:.0f} |")


def main():
    if os.environ.get("BENCH_SINKS"):
        return sinks()
    setup()
    slots = ["bench_recv", "bench_spillway", "bench_spillway_unwrap", "bench_debezium", "bench_recv_last"]
    for slot in slots:
        psql(f"SELECT pg_create_logical_replication_slot('{slot}', 'pgoutput')")
    print(f"writing {N} rows in transactions of 10,000", file=sys.stderr)
    end_lsn = write_rows()
    streaming = []
    print("streaming: pg_recvlogical", file=sys.stderr)
    streaming.append(recvlogical("bench_recv", end_lsn, "pg_recvlogical"))
    print("streaming: Spillway", file=sys.stderr)
    streaming.append(spillway("no_data", "bench_spillway", "spillway-stream"))
    print("streaming: Spillway with ExtractNewRecordState", file=sys.stderr)
    streaming.append(spillway("no_data", "bench_spillway_unwrap", "spillway-stream-unwrap", label="Spillway, unwrap",
                              extra=["debezium.sink.type=stdout", "debezium.transforms=unwrap",
                                     "debezium.transforms.unwrap.type=io.debezium.transforms.ExtractNewRecordState"]))
    print("streaming: Debezium", file=sys.stderr)
    streaming.append(debezium("no_data", "bench_debezium"))
    # Read again last, to show how much the order of the runs weighs.
    print("streaming: pg_recvlogical again", file=sys.stderr)
    streaming.append(recvlogical("bench_recv_last", end_lsn, "pg_recvlogical, run last"))
    for slot in slots:
        psql(f"SELECT pg_drop_replication_slot('{slot}')")

    psql("CREATE TABLE bench.snap_a (LIKE bench.items INCLUDING ALL); "
         "CREATE TABLE bench.snap_b (LIKE bench.items INCLUDING ALL); "
         "INSERT INTO bench.snap_a SELECT * FROM bench.items WHERE id % 2 = 0; "
         "INSERT INTO bench.snap_b SELECT * FROM bench.items WHERE id % 2 = 1; "
         "CREATE PUBLICATION bench_snap_pub FOR TABLE bench.snap_a, bench.snap_b")
    psql("VACUUM ANALYZE bench.snap_a, bench.snap_b")
    snapshot = []
    print("snapshot: COPY", file=sys.stderr)
    snapshot.append(copy_table())
    for threads in [1, 2]:
        print(f"snapshot: Spillway, {threads} thread(s)", file=sys.stderr)
        snapshot.append(spillway("initial", f"bench_spillway_snap{threads}", f"spillway-snapshot-{threads}",
                                 extra=["debezium.sink.type=stdout", f"debezium.source.snapshot.max.threads={threads}"],
                                 label=f"Spillway, max.threads={threads}", tables=SNAPSHOT_TABLES,
                                 publication="bench_snap_pub"))
        psql(f"SELECT pg_drop_replication_slot('bench_spillway_snap{threads}')")
        psql("DELETE FROM public.spillway_capture_state")
    for threads in [1, 2]:
        print(f"snapshot: Debezium, {threads} thread(s)", file=sys.stderr)
        snapshot.append(debezium("initial_only", f"bench_debezium_snap{threads}",
                                 label=f"Debezium, max.threads={threads}", snapshot_threads=threads))

    results = {"rows": N, "streaming": streaming, "snapshot": snapshot,
               "postgres": psql("SHOW server_version"), "cores": os.cpu_count()}
    with open(OUT_JSON, "w") as f:
        json.dump(results, f, indent=2)
    report(results)
    chart(results)


def report(results):
    for phase in ["streaming", "snapshot"]:
        rows = results[phase]
        spill = next(r for r in rows if r["reader"].startswith("Spillway"))
        print(f"\n{phase}, {results['rows']:,} rows")
        print(f"| reader | events/s | Spillway's speed ÷ this | CPU s | peak RSS MB |")
        print("|---|---|---|---|---|")
        for r in rows:
            print(f"| {r['reader']} | {r['events_per_s']:,.0f} | {spill['events_per_s'] / r['events_per_s']:.2f} "
                  f"| {r['cpu_s']:.1f} | {r['peak_rss_mb']:.0f} |")


def chart(results):
    """A bar chart of events/s, streaming and snapshot side by side."""
    bars = [(phase, r["reader"], r["events_per_s"]) for phase in ["streaming", "snapshot"] for r in results[phase]]
    top = max(v for _, _, v in bars)
    width, row, left = 720, 28, 230
    height = row * len(bars) + 70
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="13">',
           f'<text x="10" y="22" font-size="15">Change events per second, {results["rows"]:,} rows '
           f'(PostgreSQL {results["postgres"]}, {results["cores"]} cores)</text>']
    colors = {"Spillway": "#2b7bb9", "Debezium": "#d9822b"}
    colors.update({r["reader"]: colors[r["reader"].split(",")[0]] for r in results["snapshot"]
                   if r["reader"].split(",")[0] in colors})
    for i, (phase, reader, value) in enumerate(bars):
        y = 40 + i * row
        w = (width - left - 90) * value / top
        out.append(f'<text x="10" y="{y + 16}">{phase}: {reader}</text>')
        out.append(f'<rect x="{left}" y="{y + 3}" width="{w:.0f}" height="{row - 8}" fill="{colors.get(reader, "#444")}"/>')
        out.append(f'<text x="{left + w + 6:.0f}" y="{y + 16}">{value:,.0f}</text>')
    out.append("</svg>")
    with open(OUT_SVG, "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
