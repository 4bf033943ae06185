//! Transformer plugins: Kinesis records in, EventBridge events out.

use wasmtime::Store;
use wasmtime::component::InstancePre;

use crate::bindings::transformer::{TransformerPlugin, TransformerPluginPre};
use crate::builtin;
use crate::error::PluginError;
use crate::runtime::{Kind, PluginSpec, Runtime};
use crate::sandbox::Sandbox;
use crate::worker::{Loaded, Worker, World};

pub use crate::bindings::transformer::exports::spillway::plugin::transformer::{
    BusEvent, StreamRecord,
};

const KIND: Kind = Kind {
    name: "transformer",
    world: "transformer-plugin",
    default: builtin::TRANSFORMER,
};

impl World for TransformerPluginPre<Sandbox> {
    type Instance = TransformerPlugin;

    fn new(pre: InstancePre<Sandbox>) -> wasmtime::Result<Self> {
        TransformerPluginPre::new(pre)
    }

    fn instantiate(&self, store: &mut Store<Sandbox>) -> wasmtime::Result<TransformerPlugin> {
        TransformerPluginPre::instantiate(self, store)
    }
}

/// A loaded transformer plugin. Cheap to clone; call it through a
/// [`TransformerWorker`].
#[derive(Clone)]
pub struct Transformer(Loaded<TransformerPluginPre<Sandbox>>);

impl Transformer {
    /// Loads and checks a transformer plugin.
    pub fn load(runtime: &Runtime, spec: PluginSpec) -> Result<Self, PluginError> {
        Loaded::load(runtime, &KIND, spec).map(Self)
    }

    /// The plugin's name: `default` or its file.
    pub fn name(&self) -> &str {
        self.0.name()
    }

    /// A worker with its own instance, for one thread.
    pub fn worker(&self) -> TransformerWorker {
        TransformerWorker(self.0.worker())
    }
}

/// Calls a transformer plugin; see [`Transformer::worker`].
pub struct TransformerWorker(Worker<TransformerPluginPre<Sandbox>>);

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

    /// The plugin this worker calls.
    pub fn name(&self) -> &str {
        self.0.loaded().name()
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
