//! Mapper plugins: the Kinesis stream a captured table's events go to.

use wasmtime::Store;
use wasmtime::component::InstancePre;

use crate::bindings::mapper::{MapperPlugin, MapperPluginPre};
use crate::builtin;
use crate::error::PluginError;
use crate::runtime::{Kind, PluginSpec, Runtime};
use crate::sandbox::Sandbox;
use crate::worker::{Loaded, Worker, World};

pub use crate::bindings::mapper::exports::spillway::plugin::mapper::Table;

const KIND: Kind = Kind {
    name: "mapper",
    world: "mapper-plugin",
    default: builtin::MAPPER,
};

impl World for MapperPluginPre<Sandbox> {
    type Instance = MapperPlugin;

    fn new(pre: InstancePre<Sandbox>) -> wasmtime::Result<Self> {
        MapperPluginPre::new(pre)
    }

    fn instantiate(&self, store: &mut Store<Sandbox>) -> wasmtime::Result<MapperPlugin> {
        MapperPluginPre::instantiate(self, store)
    }
}

/// A loaded mapper plugin. Cheap to clone; call it through a [`MapperWorker`].
#[derive(Clone)]
pub struct Mapper(Loaded<MapperPluginPre<Sandbox>>);

impl Mapper {
    /// Loads and checks a mapper plugin.
    pub fn load(runtime: &Runtime, spec: PluginSpec) -> Result<Self, PluginError> {
        Loaded::load(runtime, &KIND, spec).map(Self)
    }

    /// The plugin's name: `default` or its file.
    pub fn name(&self) -> &str {
        self.0.name()
    }

    /// A worker with its own instance, for one thread.
    pub fn worker(&self) -> MapperWorker {
        MapperWorker(self.0.worker())
    }
}

/// Calls a mapper plugin; see [`Mapper::worker`].
pub struct MapperWorker(Worker<MapperPluginPre<Sandbox>>);

impl MapperWorker {
    /// The stream for `table`, checked to be a valid Kinesis stream name.
    pub fn stream_name(&mut self, table: &Table) -> Result<String, PluginError> {
        let answer = self.0.call(|plugin, store| {
            plugin
                .spillway_plugin_mapper()
                .call_stream_name(store, table)
        })?;
        let name = answer.map_err(|message| self.0.failed(message))?;
        check_stream_name(&name).map_err(|reason| {
            self.0.invalid(format!(
                "'{name}' for table {}.{} is not a Kinesis stream name: {reason}",
                table.schema, table.name
            ))
        })?;
        Ok(name)
    }

    /// The plugin this worker calls.
    pub fn name(&self) -> &str {
        self.0.loaded().name()
    }
}

/// Kinesis stream names are 1 to 128 characters of `a-z A-Z 0-9 _ . -`.
fn check_stream_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 128 {
        return Err(format!(
            "it must be 1 to 128 characters long, not {}",
            name.len()
        ));
    }
    match name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
    {
        Some(c) => Err(format!("'{c}' is not allowed (only a-z A-Z 0-9 _ . -)")),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::check_stream_name;

    #[test]
    fn stream_names_follow_kinesis_rules() {
        assert!(check_stream_name("kinesis.inventory.products").is_ok());
        assert!(check_stream_name("a-b_c.D9").is_ok());
        assert!(check_stream_name("").is_err());
        assert!(check_stream_name(&"x".repeat(129)).is_err());
        assert!(check_stream_name("has space").is_err());
        assert!(check_stream_name("slash/y").is_err());
    }
}
