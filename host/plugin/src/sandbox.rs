//! What a plugin instance can reach: the state of its store.
//!
//! Deny by default: WASI gets no files, environment, arguments or network
//! (sockets exist but every address is refused); standard output is discarded
//! and standard error is kept as a tail for error reports. The host interface
//! gives logging and the plugin's own settings. Memory is capped by a limiter.

use std::collections::BTreeMap;
use std::sync::Arc;

use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::bindings::host::{self, Level};
use crate::bindings::v0_1;
use crate::stderr::StderrTail;

/// Longest log message a plugin may write; longer ones are cut.
const MAX_LOG_MESSAGE: usize = 16 * 1024;

/// Who a plugin is: its kind, name and settings. Shared by all its instances.
#[derive(Debug)]
pub(crate) struct Identity {
    pub(crate) kind: &'static str,
    pub(crate) name: String,
    pub(crate) settings: BTreeMap<String, String>,
}

/// The state of one plugin instance's store.
pub(crate) struct Sandbox {
    wasi: WasiCtx,
    table: ResourceTable,
    pub(crate) stderr: StderrTail,
    pub(crate) memory: MemoryCap,
    identity: Arc<Identity>,
}

impl Sandbox {
    pub(crate) fn new(identity: Arc<Identity>, memory_limit: u64) -> Self {
        let stderr = StderrTail::default();
        let wasi = WasiCtx::builder()
            .stderr(stderr.clone())
            .allow_ip_name_lookup(false)
            .allow_tcp(false)
            .allow_udp(false)
            .build();
        Self {
            wasi,
            table: ResourceTable::new(),
            stderr,
            memory: MemoryCap {
                limit: usize::try_from(memory_limit).unwrap_or(usize::MAX),
            },
            identity,
        }
    }
}

impl WasiView for Sandbox {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl host::Host for Sandbox {
    fn log(&mut self, level: Level, mut message: String) {
        if message.len() > MAX_LOG_MESSAGE {
            let cut = message.floor_char_boundary(MAX_LOG_MESSAGE);
            message.truncate(cut);
            message.push_str(" [cut]");
        }
        let plugin = self.identity.name.as_str();
        let kind = self.identity.kind;
        match level {
            Level::Trace => tracing::trace!(target: "plugin", kind, plugin, "{message}"),
            Level::Debug => tracing::debug!(target: "plugin", kind, plugin, "{message}"),
            Level::Info => tracing::info!(target: "plugin", kind, plugin, "{message}"),
            Level::Warn => tracing::warn!(target: "plugin", kind, plugin, "{message}"),
            Level::Error => tracing::error!(target: "plugin", kind, plugin, "{message}"),
        }
    }

    fn config(&mut self, key: String) -> Option<String> {
        self.identity.settings.get(&key).cloned()
    }
}

/// The 0.1.0 host interface: the same functions, its own level type.
impl v0_1::host::Host for Sandbox {
    fn log(&mut self, level: v0_1::host::Level, message: String) {
        let level = match level {
            v0_1::host::Level::Trace => Level::Trace,
            v0_1::host::Level::Debug => Level::Debug,
            v0_1::host::Level::Info => Level::Info,
            v0_1::host::Level::Warn => Level::Warn,
            v0_1::host::Level::Error => Level::Error,
        };
        host::Host::log(self, level, message);
    }

    fn config(&mut self, key: String) -> Option<String> {
        host::Host::config(self, key)
    }
}

/// A guest asked to grow its memory past the limit.
#[derive(Debug, thiserror::Error)]
#[error("memory limit of {limit} bytes reached (asked for {requested})")]
pub(crate) struct MemoryLimitReached {
    pub(crate) limit: usize,
    pub(crate) requested: usize,
}

/// Caps the linear memory of one instance.
pub(crate) struct MemoryCap {
    limit: usize,
}

impl ResourceLimiter for MemoryCap {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.limit {
            return Err(MemoryLimitReached {
                limit: self.limit,
                requested: desired,
            }
            .into());
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 1_000_000)
    }
}
