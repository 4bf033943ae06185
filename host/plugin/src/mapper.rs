//! Mapper plugins: the Kinesis stream a captured table's events go to.

use crate::bindings::mapper::{MapperPlugin, MapperPluginPre};
use crate::bindings::v0_1::mapper as v0_1;
use crate::builtin;
use crate::contract::{VERSION, VERSION_0_1};
use crate::error::PluginError;
use crate::sandbox::Sandbox;
use crate::worker::{Versioned, bindgen_world, plugin_kind};

pub use crate::bindings::mapper::exports::spillway::plugin::mapper::Table;

bindgen_world!(MapperPluginPre<Sandbox> => MapperPlugin);
bindgen_world!(v0_1::MapperPluginPre<Sandbox> => v0_1::MapperPlugin);

plugin_kind! {
    kind: "mapper",
    world: "mapper-plugin",
    versions: &[VERSION, VERSION_0_1],
    default: builtin::MAPPER,
    bindings: Versioned<MapperPluginPre<Sandbox>, v0_1::MapperPluginPre<Sandbox>>,
    /// A loaded mapper plugin. Cheap to clone; call it through a [`MapperWorker`].
    plugin: Mapper,
    /// Calls a mapper plugin; see [`Mapper::worker`].
    worker: MapperWorker,
}

impl MapperWorker {
    /// The stream for `table.destination`, checked to be a valid Kinesis
    /// stream name. A mapper built against contract 0.1.0 is asked with the
    /// table alone (its `table` has no destination).
    pub fn stream_name(&mut self, table: &Table) -> Result<String, PluginError> {
        let answer = self.0.call(|plugin, store| match plugin {
            Versioned::Current(plugin) => plugin
                .spillway_plugin_mapper()
                .call_stream_name(store, table),
            Versioned::V0_1(plugin) => {
                let table = v0_1::exports::spillway::plugin::mapper::Table {
                    server: table.server.clone(),
                    database: table.database.clone(),
                    schema: table.schema.clone(),
                    name: table.name.clone(),
                };
                plugin
                    .spillway_plugin_mapper()
                    .call_stream_name(store, &table)
            }
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
