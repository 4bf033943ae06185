"""A transform plugin in Python that filters change events: what Debezium's
scripted `io.debezium.transforms.Filter` (Groovy or JavaScript) is used for,
without a JVM. Configure it as a transform of `debezium.transforms`:

    debezium.transforms=keep
    spillway.transforms.keep.plugin=python_filter.wasm
    debezium.transforms.keep.operations=c,u,d
    debezium.transforms.keep.column=status
    debezium.transforms.keep.equals=shipped

Settings (`debezium.transforms.<name>.<key>`):

- `operations`: comma-separated operations kept (`r`, `c`, `u`, `d`, `t`);
  default: all. Tombstones follow their delete: kept when `d` is.
- `column` and `equals`: keep only change events whose row (`after`, or
  `before` for a delete) has this column with this value (compared as text:
  `equals=12` keeps `12` and `"12"`). Without `column`, rows are not checked.

Records that are no change event (messages, transaction metadata,
heartbeats) are always kept. Like every transform, it applies only to the
records its `predicate` selects (`debezium.transforms.<name>.predicate`).
"""

import json

import wit_world
from wit_world.exports import transform
from wit_world.imports import host

OP = transform.Operation
CODES = {OP.READ: "r", OP.CREATE: "c", OP.UPDATE: "u", OP.DELETE: "d", OP.TRUNCATE: "t"}


def kept_operations():
    """The `operations` setting as a set of codes, or None for all."""
    text = host.config("operations")
    if not text or not text.strip():
        return None
    return {code.strip() for code in text.split(",") if code.strip()}


def row_of(record):
    """The row a change event leaves or removes, as a dict (None if none)."""
    value = json.loads(record.value)
    payload = value.get("payload", value) if "schema" in value else value
    if not isinstance(payload, dict):
        return None
    return payload.get("after") or payload.get("before")


def as_text(value):
    return value if isinstance(value, str) else json.dumps(value)


class Transform(wit_world.exports.Transform):
    def apply(self, batch):
        operations = kept_operations()
        column = (host.config("column") or "").strip()
        wanted = host.config("equals")
        out = []
        for record in batch:
            if record.operation == OP.TOMBSTONE:
                keep = operations is None or "d" in operations
            elif record.operation not in CODES:
                keep = True
            else:
                keep = operations is None or CODES[record.operation] in operations
                if keep and column:
                    row = row_of(record) or {}
                    keep = column in row and row[column] is not None and as_text(row[column]) == wanted
            out.append([record] if keep else [])
        dropped = sum(1 for made in out if not made)
        if dropped:
            host.log(host.Level.DEBUG, f"filter dropped {dropped} of {len(batch)} records")
        return out
