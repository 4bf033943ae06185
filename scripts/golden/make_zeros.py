"""Writes tests/golden/zeros/ from tests/golden/values/changes.sql: one table
holding, for every type there, a NOT NULL column without a default (and a NOT
NULL array of it), a row of the type's first ordinary value, and the row's delete under
REPLICA IDENTITY DEFAULT, whose old row carries the key alone: the event's
`before` then holds each required column's zero value, which Debezium writes
per type. Run it again when the values scenario changes; then record the
scenario (scripts/golden-record).
"""

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]
VALUES = ROOT / "tests" / "golden" / "values" / "changes.sql"
OUT = ROOT / "tests" / "golden" / "zeros"

TABLE = re.compile(r'^CREATE TABLE "values"\.(\w+) \(id int PRIMARY KEY, v ([^,]+), a ([^)]+\[\])\);$')
ROW = re.compile(r'^INSERT INTO "values"\.(\w+) VALUES \(\d+, (.*), ARRAY\[(.*), NULL\]\);$')
# Arrays of bit: Debezium 3.6.3 declares them boolean and fails every event
# of the table (docs/COMPATIBILITY.md, deliberate differences).
LEFT_OUT_ARRAYS = {"bit"}


def ordinary(value):
    """Whether Debezium writes `value` in a required column as Spillway
    does: not NaN nor an infinity (Decimal cannot hold them), not BC (its
    array elements go through java.sql types), no year past 9999 (Debezium
    wraps the largest timestamps around)."""
    return (not any(word in value for word in ("NaN", "nfinity", " BC"))
            and not re.search(r"\d{5,}-\d\d-\d\d", value))


def main():
    types, first = {}, {}
    for line in VALUES.read_text().splitlines():
        if m := TABLE.match(line):
            types[m[1]] = (m[2], m[3])
        elif (m := ROW.match(line)) and m[1] not in first and ordinary(m[2]):
            first[m[1]] = (m[2], f"ARRAY[{m[3]}]")
    columns, values = [], []
    for name, (scalar, array) in types.items():
        if name not in first:
            continue
        columns.append(f'"{name}" {scalar} NOT NULL')
        values.append(first[name][0])
        if name not in LEFT_OUT_ARRAYS:
            columns.append(f'"{name}_array" {array} NOT NULL')
            values.append(first[name][1])
    OUT.mkdir(exist_ok=True)
    (OUT / "setup.sql").write_text(
        "-- The zeros scenario (see changes.sql, written by\n"
        "-- scripts/golden/make_zeros.py): its schema, and one row for the snapshot,\n"
        "-- which tells that capture streams.\n"
        "CREATE SCHEMA zeros;\n"
        "CREATE TABLE zeros.ready (id int PRIMARY KEY);\n"
        "INSERT INTO zeros.ready VALUES (1);\n")
    (OUT / "changes.sql").write_text(
        "-- Written by scripts/golden/make_zeros.py from tests/golden/values/changes.sql:\n"
        "-- a NOT NULL column without a default of every type, and a NOT NULL array of\n"
        "-- it, in one row, deleted under REPLICA IDENTITY DEFAULT: the delete's\n"
        "-- `before` holds the key and each column's zero value. (Streamed, as Debezium\n"
        "-- 3.6.3's snapshot fails on an unconstrained numeric column.)\n"
        f"CREATE TABLE zeros.required (id int PRIMARY KEY, {', '.join(columns)});\n"
        f"INSERT INTO zeros.required VALUES (1, {', '.join(values)});\n"
        "DELETE FROM zeros.required WHERE id = 1;\n")
    print(f"{len(types)} types, {len(columns)} columns")


if __name__ == "__main__":
    main()
