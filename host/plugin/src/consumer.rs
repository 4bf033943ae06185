//! Consumer plugins: what to do with a message from the queue.

use crate::bindings::consumer::{ConsumerPlugin, ConsumerPluginPre};
use crate::builtin;
use crate::error::PluginError;
use crate::worker::plugin_kind;

pub use crate::bindings::consumer::exports::spillway::plugin::consumer::{Message, Outcome};

/// The longest SQS lets a message stay invisible: 12 hours.
pub const MAX_RETRY_AFTER_SECONDS: u32 = 43_200;

plugin_kind! {
    kind: "consumer",
    world: "consumer-plugin",
    default: builtin::CONSUMER,
    bindings: ConsumerPluginPre -> ConsumerPlugin,
    /// A loaded consumer plugin. Cheap to clone; call it through a [`ConsumerWorker`].
    plugin: Consumer,
    /// Calls a consumer plugin; see [`Consumer::worker`].
    worker: ConsumerWorker,
}

impl ConsumerWorker {
    /// Handles one message; a `retry-after` beyond SQS' 12 hours is refused.
    pub fn handle(&mut self, message: &Message) -> Result<Outcome, PluginError> {
        let outcome = self.0.call(|plugin, store| {
            plugin
                .spillway_plugin_consumer()
                .call_handle(store, message)
        })?;
        if let Outcome::RetryAfter(seconds) = outcome
            && seconds > MAX_RETRY_AFTER_SECONDS
        {
            return Err(self.0.invalid(format!(
                "retry-after {seconds} s is beyond SQS' limit of {MAX_RETRY_AFTER_SECONDS} s"
            )));
        }
        Ok(outcome)
    }
}
