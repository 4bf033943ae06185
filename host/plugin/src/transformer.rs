//! Transformer plugins: Kinesis records in, EventBridge events out.

use crate::bindings::transformer::{TransformerPlugin, TransformerPluginPre};
use crate::builtin;
use crate::error::PluginError;
use crate::worker::plugin_kind;

pub use crate::bindings::transformer::exports::spillway::plugin::transformer::{
    BusEvent, StreamRecord,
};

plugin_kind! {
    kind: "transformer",
    world: "transformer-plugin",
    default: builtin::TRANSFORMER,
    bindings: TransformerPluginPre -> TransformerPlugin,
    /// A loaded transformer plugin. Cheap to clone; call it through a
    /// [`TransformerWorker`].
    plugin: Transformer,
    /// Calls a transformer plugin; see [`Transformer::worker`].
    worker: TransformerWorker,
}

impl TransformerWorker {
    /// Transforms one ordered batch, checking every event it returns.
    pub fn transform(&mut self, batch: &[StreamRecord]) -> Result<Vec<BusEvent>, PluginError> {
        let answer = self.0.call(|plugin, store| {
            plugin
                .spillway_plugin_transformer()
                .call_transform(store, batch)
        })?;
        let events = answer.map_err(|message| self.0.failed(message))?;
        for (i, event) in events.iter().enumerate() {
            check_event(event)
                .map_err(|reason| self.0.invalid(format!("event {i} of the batch: {reason}")))?;
        }
        Ok(events)
    }
}

/// What EventBridge would refuse: empty fields, a detail that is not a JSON object.
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
    match serde_json::from_str::<serde_json::Value>(&event.detail) {
        Ok(serde_json::Value::Object(_)) => Ok(()),
        Ok(_) => Err("its detail is JSON but not an object".to_owned()),
        Err(e) => Err(format!("its detail is not JSON ({e})")),
    }
}
