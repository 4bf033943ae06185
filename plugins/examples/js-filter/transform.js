// A transform plugin in JavaScript that filters change events: what
// Debezium's scripted `io.debezium.transforms.Filter` (Groovy or JavaScript)
// is used for, without a JVM. It reads the same settings as the Python
// example (plugins/examples/python-filter/app.py):
//
//   debezium.transforms=keep
//   spillway.transforms.keep.plugin=js_filter.wasm
//   debezium.transforms.keep.operations=c,u,d
//   debezium.transforms.keep.column=status
//   debezium.transforms.keep.equals=shipped
//
// - `operations`: comma-separated operations kept (r, c, u, d, t); default
//   all. Tombstones follow their delete: kept when `d` is.
// - `column` and `equals`: keep only change events whose row (`after`, or
//   `before` for a delete) has this column with this value, compared as text.
// Records that are no change event (messages, transaction metadata,
// heartbeats) are always kept.

import { config, log } from 'spillway:plugin/host@0.2.0';

const CODES = { read: 'r', create: 'c', update: 'u', delete: 'd', truncate: 't' };

function keptOperations() {
  const text = config('operations');
  if (text === undefined || text === null || text.trim() === '') return null;
  return new Set(text.split(',').map((c) => c.trim()).filter((c) => c.length > 0));
}

function rowOf(record) {
  const value = JSON.parse(record.value);
  const payload = 'schema' in value && 'payload' in value ? value.payload : value;
  if (payload === null || typeof payload !== 'object') return null;
  return payload.after ?? payload.before ?? null;
}

function asText(value) {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export const transform = {
  apply(batch) {
    const operations = keptOperations();
    const column = (config('column') ?? '').trim();
    const wanted = config('equals');
    let dropped = 0;
    const out = batch.map((record) => {
      let keep;
      if (record.operation === 'tombstone') {
        keep = operations === null || operations.has('d');
      } else if (!(record.operation in CODES)) {
        keep = true;
      } else {
        keep = operations === null || operations.has(CODES[record.operation]);
        if (keep && column !== '') {
          const row = rowOf(record) ?? {};
          keep = row[column] !== undefined && row[column] !== null && asText(row[column]) === wanted;
        }
      }
      if (!keep) dropped += 1;
      return keep ? [record] : [];
    });
    if (dropped > 0) log('debug', `filter dropped ${dropped} of ${batch.length} records`);
    return out;
  },
};
