//! Consumer plugins: what to do with a message from the queue.

use wasmtime::Store;
use wasmtime::component::InstancePre;

use crate::bindings::consumer::{ConsumerPlugin, ConsumerPluginPre};
use crate::builtin;
use crate::error::PluginError;
use crate::runtime::{Kind, PluginSpec, Runtime};
use crate::sandbox::Sandbox;
use crate::worker::{Loaded, Worker, World};

pub use crate::bindings::consumer::exports::spillway::plugin::consumer::{Message, Outcome};

/// The longest SQS lets a message stay invisible: 12 hours.
pub const MAX_RETRY_AFTER_SECONDS: u32 = 43_200;

const KIND: Kind = Kind {
    name: "consumer",
    world: "consumer-plugin",
    default: builtin::CONSUMER,
};

impl World for ConsumerPluginPre<Sandbox> {
    type Instance = ConsumerPlugin;

    fn new(pre: InstancePre<Sandbox>) -> wasmtime::Result<Self> {
        ConsumerPluginPre::new(pre)
    }

    fn instantiate(&self, store: &mut Store<Sandbox>) -> wasmtime::Result<ConsumerPlugin> {
        ConsumerPluginPre::instantiate(self, store)
    }
}

/// A loaded consumer plugin. Cheap to clone; call it through a [`ConsumerWorker`].
#[derive(Clone)]
pub struct Consumer(Loaded<ConsumerPluginPre<Sandbox>>);

impl Consumer {
    /// Loads and checks a consumer plugin.
    pub fn load(runtime: &Runtime, spec: PluginSpec) -> Result<Self, PluginError> {
        Loaded::load(runtime, &KIND, spec).map(Self)
    }

    /// The plugin's name: `default` or its file.
    pub fn name(&self) -> &str {
        self.0.name()
    }

    /// A worker with its own instance, for one thread.
    pub fn worker(&self) -> ConsumerWorker {
        ConsumerWorker(self.0.worker())
    }
}

/// Calls a consumer plugin; see [`Consumer::worker`].
pub struct ConsumerWorker(Worker<ConsumerPluginPre<Sandbox>>);

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

    /// The plugin this worker calls.
    pub fn name(&self) -> &str {
        self.0.loaded().name()
    }
}
