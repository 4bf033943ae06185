//! Consumer plugins: what to do with a message from the queue.

use crate::bindings::consumer::{ConsumerPlugin, ConsumerPluginPre};
use crate::bindings::v0_1::consumer as v0_1;
use crate::builtin;
use crate::contract::{VERSION, VERSION_0_1};
use crate::error::PluginError;
use crate::sandbox::Sandbox;
use crate::worker::{Versioned, bindgen_world, plugin_kind};

pub use crate::bindings::consumer::exports::spillway::plugin::consumer::{Message, Outcome};

/// The longest SQS lets a message stay invisible: 12 hours.
pub const MAX_RETRY_AFTER_SECONDS: u32 = 43_200;

bindgen_world!(ConsumerPluginPre<Sandbox> => ConsumerPlugin);
bindgen_world!(v0_1::ConsumerPluginPre<Sandbox> => v0_1::ConsumerPlugin);

plugin_kind! {
    kind: "consumer",
    world: "consumer-plugin",
    versions: &[VERSION, VERSION_0_1],
    default: builtin::CONSUMER,
    bindings: Versioned<ConsumerPluginPre<Sandbox>, v0_1::ConsumerPluginPre<Sandbox>>,
    /// A loaded consumer plugin. Cheap to clone; call it through a [`ConsumerWorker`].
    plugin: Consumer,
    /// Calls a consumer plugin; see [`Consumer::worker`].
    worker: ConsumerWorker,
}

impl ConsumerWorker {
    /// Handles one message; a `retry-after` beyond SQS' 12 hours is refused.
    pub fn handle(&mut self, message: &Message) -> Result<Outcome, PluginError> {
        let outcome = self.0.call(|plugin, store| match plugin {
            Versioned::Current(plugin) => plugin
                .spillway_plugin_consumer()
                .call_handle(store, message),
            Versioned::V0_1(plugin) => {
                use v0_1::exports::spillway::plugin::consumer as old;
                let message = old::Message {
                    id: message.id.clone(),
                    body: message.body.clone(),
                    group_id: message.group_id.clone(),
                    receive_count: message.receive_count,
                    attributes: message.attributes.clone(),
                };
                Ok(
                    match plugin
                        .spillway_plugin_consumer()
                        .call_handle(store, &message)?
                    {
                        old::Outcome::Ack => Outcome::Ack,
                        old::Outcome::RetryAfter(seconds) => Outcome::RetryAfter(seconds),
                        old::Outcome::Reject(reason) => Outcome::Reject(reason),
                    },
                )
            }
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
