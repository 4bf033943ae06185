// A transformer plugin in JavaScript: the reference Lambda's routing (stream ->
// detail type and bus) with personal data taken out of every change event
// before it leaves for EventBridge.
//
// Settings (`spillway.transformer.config.<key>`):
// - `detail-type.<stream>`, `bus.<stream>`: as the default transformer;
//   a stream without both is an error that names the missing setting.
// - `redact`: comma-separated column names (`email,phone`) whose values are
//   replaced in `before` and `after`, wherever the table.
// - `mask`: what replaces a redacted value; default `[redacted]`. A null
//   stays null, so consumers can still tell "no value" from "hidden value".

import { config, log } from 'spillway:plugin/host@0.2.0';

const decoder = new TextDecoder();

function required(key) {
  const value = config(key);
  if (value === undefined || value === null || value === '') {
    throw `no ${key.split('.')[0]} configured for stream '${key.slice(key.indexOf('.') + 1)}': set the plugin setting '${key}'`;
  }
  return value;
}

function redactedColumns() {
  return (config('redact') ?? '')
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c.length > 0);
}

function redact(row, columns, mask) {
  if (row === null || typeof row !== 'object') return 0;
  let hidden = 0;
  for (const column of columns) {
    if (Object.hasOwn(row, column) && row[column] !== null) {
      row[column] = mask;
      hidden += 1;
    }
  }
  return hidden;
}

export const transformer = {
  transform(batch) {
    const columns = redactedColumns();
    const mask = config('mask') ?? '[redacted]';
    let hidden = 0;
    const events = batch.map((record) => {
      const stream = record.streamName;
      let event;
      try {
        event = JSON.parse(decoder.decode(record.data));
      } catch (e) {
        throw `record ${record.sequenceNumber} of stream '${stream}' is not JSON: ${e}`;
      }
      // Debezium's JSON converter with schemas wraps the change in `payload`.
      const change = event !== null && typeof event.payload === 'object' ? event.payload : event;
      if (change !== null && typeof change === 'object') {
        hidden += redact(change.before, columns, mask);
        hidden += redact(change.after, columns, mask);
      }
      return {
        source: stream,
        detailType: required(`detail-type.${stream}`),
        detail: JSON.stringify(event),
        busName: required(`bus.${stream}`),
        time: undefined,
        resources: [],
      };
    });
    if (hidden > 0) {
      log('debug', `redacted ${hidden} value(s) in ${batch.length} record(s)`);
    }
    return events;
  },
};
