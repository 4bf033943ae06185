//! Transform plugins: capture's change records reshaped, re-routed or
//! dropped before the sink, as Debezium's single message transforms.

use crate::bindings::transform::{TransformPlugin, TransformPluginPre};
use crate::builtin;
use crate::contract::VERSION;
use crate::error::PluginError;
use crate::sandbox::Sandbox;
use crate::worker::{bindgen_world, plugin_kind};

pub use crate::bindings::transform::exports::spillway::plugin::transform::{
    ChangeRecord, Operation,
};

bindgen_world!(TransformPluginPre<Sandbox> => TransformPlugin);

plugin_kind! {
    kind: "transform",
    world: "transform-plugin",
    versions: &[VERSION],
    default: builtin::TRANSFORMS,
    bindings: TransformPluginPre<Sandbox>,
    /// A loaded transform plugin. Cheap to clone; call it through a
    /// [`TransformWorker`].
    plugin: Transform,
    /// Calls a transform plugin; see [`Transform::worker`].
    worker: TransformWorker,
}

impl TransformWorker {
    /// Transforms one ordered batch: for each record of `batch`, in order,
    /// the records it became (none when dropped).
    ///
    /// # Errors
    /// The plugin's own error, a trap, time-out or memory exhaustion, or an
    /// answer without exactly one list per record ([`PluginError::InvalidOutput`]).
    pub fn apply(&mut self, batch: &[ChangeRecord]) -> Result<Vec<Vec<ChangeRecord>>, PluginError> {
        let answer = self
            .0
            .call(|plugin, store| plugin.spillway_plugin_transform().call_apply(store, batch))?;
        let outputs = answer.map_err(|message| self.0.failed(message))?;
        if outputs.len() != batch.len() {
            return Err(self.0.invalid(format!(
                "it returned {} lists for a batch of {} records (one list per record, \
                 empty to drop it)",
                outputs.len(),
                batch.len()
            )));
        }
        for record in outputs.iter().flatten() {
            if record.destination.is_empty() {
                return Err(self.0.invalid(format!(
                    "a record of {}.{} has an empty destination",
                    record.schema, record.table
                )));
            }
        }
        Ok(outputs)
    }
}
