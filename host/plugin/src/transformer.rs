//! Transformer plugins: Kinesis records in, EventBridge events out.

use crate::bindings::transformer::{TransformerPlugin, TransformerPluginPre};
use crate::bindings::v0_1::transformer as v0_1;
use crate::builtin;
use crate::contract::{VERSION, VERSION_0_1};
use crate::error::PluginError;
use crate::sandbox::Sandbox;
use crate::worker::{Versioned, bindgen_world, plugin_kind};

pub use crate::bindings::transformer::exports::spillway::plugin::transformer::{
    BusEvent, StreamRecord,
};

bindgen_world!(TransformerPluginPre<Sandbox> => TransformerPlugin);
bindgen_world!(v0_1::TransformerPluginPre<Sandbox> => v0_1::TransformerPlugin);

plugin_kind! {
    kind: "transformer",
    world: "transformer-plugin",
    versions: &[VERSION, VERSION_0_1],
    default: builtin::TRANSFORMER,
    bindings: Versioned<TransformerPluginPre<Sandbox>, v0_1::TransformerPluginPre<Sandbox>>,
    /// A loaded transformer plugin. Cheap to clone; call it through a
    /// [`TransformerWorker`].
    plugin: Transformer,
    /// Calls a transformer plugin; see [`Transformer::worker`].
    worker: TransformerWorker,
}

impl TransformerWorker {
    /// Transforms one ordered batch, checking every event it returns.
    pub fn transform(&mut self, batch: &[StreamRecord]) -> Result<Vec<BusEvent>, PluginError> {
        let answer = self.0.call(|plugin, store| match plugin {
            Versioned::Current(plugin) => plugin
                .spillway_plugin_transformer()
                .call_transform(store, batch),
            Versioned::V0_1(plugin) => {
                use v0_1::exports::spillway::plugin::transformer as old;
                let batch: Vec<old::StreamRecord> = batch
                    .iter()
                    .map(|r| old::StreamRecord {
                        stream_name: r.stream_name.clone(),
                        shard_id: r.shard_id.clone(),
                        partition_key: r.partition_key.clone(),
                        sequence_number: r.sequence_number.clone(),
                        arrival_ms: r.arrival_ms,
                        data: r.data.clone(),
                    })
                    .collect();
                let answer = plugin
                    .spillway_plugin_transformer()
                    .call_transform(store, &batch)?;
                Ok(answer.map(|events| {
                    events
                        .into_iter()
                        .map(|e| BusEvent {
                            source: e.source,
                            detail_type: e.detail_type,
                            detail: e.detail,
                            bus_name: e.bus_name,
                            time: e.time,
                            resources: e.resources,
                        })
                        .collect()
                }))
            }
        })?;
        let events = answer.map_err(|message| self.0.failed(message))?;
        for (i, event) in events.iter().enumerate() {
            check_event(event)
                .map_err(|reason| self.0.invalid(format!("event {i} of the batch: {reason}")))?;
        }
        Ok(events)
    }
}

/// What EventBridge would refuse: empty fields, a detail that is not a JSON
/// object. The detail is checked for its shape only (`{...}`): parsing every
/// detail again would double the cost of a batch, and EventBridge itself
/// refuses malformed JSON per entry, which the forward stage reports.
fn check_event(event: &BusEvent) -> Result<(), String> {
    for (field, value) in [
        ("source", &event.source),
        ("detail-type", &event.detail_type),
        ("bus-name", &event.bus_name),
    ] {
        if value.trim().is_empty() {
            return Err(format!("its {field} is empty"));
        }
    }
    let detail = event.detail.trim();
    if detail.starts_with('{') && detail.ends_with('}') {
        Ok(())
    } else {
        Err("its detail is not a JSON object".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(detail: &str) -> BusEvent {
        BusEvent {
            source: "s".into(),
            detail_type: "d".into(),
            detail: detail.into(),
            bus_name: "b".into(),
            time: None,
            resources: Vec::new(),
        }
    }

    #[test]
    fn events_are_checked_before_they_reach_eventbridge() {
        assert!(check_event(&event(r#" {"a": 1} "#)).is_ok());
        for detail in ["this is not JSON", "[1]", "\"text\"", ""] {
            assert!(check_event(&event(detail)).is_err(), "{detail}");
        }
        let mut no_bus = event("{}");
        no_bus.bus_name = " ".into();
        assert!(
            check_event(&no_bus)
                .unwrap_err()
                .contains("bus-name is empty")
        );
    }
}
