//! The engine every plugin runs on, and loading a plugin into it.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use wasmtime::component::{Component, InstancePre, Linker};
use wasmtime::{Cache, CacheConfig, Config, Engine, EngineWeak, Inlining};

use crate::bindings::{host, v0_1};
use crate::contract;
use crate::error::PluginError;
use crate::sandbox::{Identity, Sandbox};

/// How often the engine's epoch advances: the resolution of call time limits.
pub(crate) const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Components up to this size are compiled with Cranelift's function
/// inlining, which made the default transformer 8% and the consumer 12%
/// faster per call (docs/BENCHMARKS.md). Larger components are mostly
/// embedded interpreters (Python, JavaScript): for them inlining made the
/// first compile 4x and instance start 5x slower, and calls no faster.
const INLINING_LIMIT: usize = 4 << 20;

/// How the plugin runtime is set up.
#[derive(Debug, Clone, Default)]
pub struct RuntimeOptions {
    /// Where compiled plugins are cached; `None` compiles every plugin at every start.
    ///
    /// The cache is Wasmtime's own: an entry is keyed by the component's bytes,
    /// the compiler's settings and Wasmtime's version, so a changed file or
    /// engine never loads a stale artifact.
    pub cache_dir: Option<PathBuf>,
}

/// Limits of one plugin; every instance and every call gets them.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The most linear memory one instance may have, in bytes.
    pub memory_bytes: u64,
    /// The longest one call may run (wall-clock); then it is interrupted.
    pub timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            memory_bytes: 128 << 20,
            timeout: Duration::from_secs(5),
        }
    }
}

/// Where a plugin's code comes from.
#[derive(Debug, Clone)]
pub enum Code {
    /// The built-in default plugin of its kind.
    Default,
    /// A component file (`.wasm`).
    File(PathBuf),
    /// A component in memory.
    Bytes(Vec<u8>),
}

/// Everything needed to load one plugin.
#[derive(Debug, Clone)]
pub struct PluginSpec {
    /// The component.
    pub code: Code,
    /// The plugin's own settings, which it reads with `host.config`.
    pub settings: BTreeMap<String, String>,
    /// Its limits.
    pub limits: Limits,
}

impl PluginSpec {
    /// The built-in default plugin, with no settings and default limits.
    pub fn default_plugin() -> Self {
        Self::new(Code::Default)
    }

    /// A plugin from `code`, with no settings and default limits.
    pub fn new(code: Code) -> Self {
        Self {
            code,
            settings: BTreeMap::new(),
            limits: Limits::default(),
        }
    }

    /// The name the plugin goes by in logs and errors: `default` or its file.
    pub fn name(&self) -> String {
        match &self.code {
            Code::Default => "default".to_owned(),
            Code::File(path) => path.display().to_string(),
            Code::Bytes(_) => "in-memory component".to_owned(),
        }
    }
}

/// The WebAssembly engines shared by all plugins of a process: one compiles
/// components up to [`INLINING_LIMIT`] with inlining, the other larger ones
/// without.
///
/// Compilation is cached on disk when [`RuntimeOptions::cache_dir`] is set; a
/// background thread advances the engines' epoch to enforce call time limits
/// (it stops when the runtime is dropped).
#[derive(Clone)]
pub struct Runtime {
    inlining: Compiler,
    plain: Compiler,
    epoch: EpochClock,
}

/// An engine and the host functions plugins may import, linked for it.
#[derive(Clone)]
struct Compiler {
    engine: Engine,
    linker: Arc<Linker<Sandbox>>,
}

impl Compiler {
    fn new(options: &RuntimeOptions, inlining: Inlining) -> Result<Self, PluginError> {
        let runtime_error =
            |what: &str, e: wasmtime::Error| PluginError::Runtime(format!("{what}: {e:#}"));
        let mut config = Config::new();
        config.epoch_interruption(true);
        config.compiler_inlining(inlining);
        if let Some(dir) = &options.cache_dir {
            let mut cache = CacheConfig::new();
            cache.with_directory(dir);
            let cache = Cache::new(cache)
                .map_err(|e| runtime_error(&format!("plugin cache in '{}'", dir.display()), e))?;
            config.cache(Some(cache));
        }
        let engine = Engine::new(&config).map_err(|e| runtime_error("engine", e))?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(|e| runtime_error("WASI", e))?;
        host::add_to_linker::<Sandbox, wasmtime::component::HasSelf<Sandbox>>(&mut linker, |s| s)
            .map_err(|e| runtime_error("host interface", e))?;
        v0_1::host::add_to_linker::<Sandbox, wasmtime::component::HasSelf<Sandbox>>(
            &mut linker,
            |s| s,
        )
        .map_err(|e| runtime_error("host interface 0.1.0", e))?;
        Ok(Self {
            engine,
            linker: Arc::new(linker),
        })
    }
}

impl Runtime {
    /// Sets up the engines, the cache and the host functions plugins may import.
    pub fn new(options: &RuntimeOptions) -> Result<Self, PluginError> {
        let runtime = Self {
            inlining: Compiler::new(options, Inlining::Yes)?,
            plain: Compiler::new(options, Inlining::No)?,
            epoch: EpochClock::new(Instant::now()),
        };
        start_epoch_ticker(
            [runtime.inlining.engine.weak(), runtime.plain.engine.weak()],
            runtime.epoch.clone(),
        )
        .map_err(|e| PluginError::Runtime(format!("cannot start the epoch thread: {e}")))?;
        Ok(runtime)
    }

    /// The engines' epoch as wall time counts it, for call deadlines.
    pub(crate) fn epoch(&self) -> &EpochClock {
        &self.epoch
    }

    /// Compiles (or fetches from the cache) and checks a plugin of `kind`:
    /// ready to instantiate, who it is, and the contract version it
    /// implements.
    pub(crate) fn prepare(
        &self,
        kind: &Kind,
        spec: &PluginSpec,
    ) -> Result<(InstancePre<Sandbox>, Arc<Identity>, &'static str), PluginError> {
        let plugin = spec.name();
        let bytes: std::borrow::Cow<'_, [u8]> = match &spec.code {
            Code::Default => kind.default.into(),
            Code::File(path) => std::fs::read(path)
                .map_err(|source| PluginError::Read {
                    path: path.clone(),
                    source,
                })?
                .into(),
            Code::Bytes(bytes) => bytes.as_slice().into(),
        };
        let not_a_component = |reason: String| PluginError::NotAComponent {
            kind: kind.name,
            plugin: plugin.clone(),
            reason,
        };
        check_component_header(&bytes).map_err(not_a_component)?;
        let compiler = match bytes.len() <= INLINING_LIMIT {
            true => &self.inlining,
            false => &self.plain,
        };
        let component = Component::new(&compiler.engine, &bytes)
            .map_err(|e| not_a_component(format!("{e:#}")))?;
        let wrong_contract = |reason: String| PluginError::WrongContract {
            kind: kind.name,
            plugin: plugin.clone(),
            world: kind.world,
            version: contract::VERSION,
            reason,
        };
        let version = contract::check(&compiler.engine, &component, kind.name, kind.versions)
            .map_err(wrong_contract)?;
        let pre = compiler
            .linker
            .instantiate_pre(&component)
            .map_err(|e| wrong_contract(explain_link_error(&format!("{e:#}"))))?;
        let identity = Arc::new(Identity {
            kind: kind.name,
            name: plugin.clone(),
            settings: spec.settings.clone(),
        });
        Ok((pre, identity, version))
    }
}

/// A kind of plugin: its interface name, world, the contract versions it
/// may be built against (newest first) and its built-in default.
pub(crate) struct Kind {
    pub(crate) name: &'static str,
    pub(crate) world: &'static str,
    pub(crate) versions: &'static [&'static str],
    pub(crate) default: &'static [u8],
}

/// A link error, with what to do when the component imports what plugins
/// are never given (network access).
fn explain_link_error(error: &str) -> String {
    if error.contains("wasi:http/") || error.contains("wasi:sockets/") {
        format!(
            "{error}. Plugins get no network: build the component without HTTP or sockets \
             (ComponentizeJS: `--disable http fetch-event`)"
        )
    } else {
        error.to_owned()
    }
}

/// Tells a core module or some other file from a component before compiling.
fn check_component_header(bytes: &[u8]) -> Result<(), String> {
    match bytes.get(..8) {
        Some([0, b'a', b's', b'm', 1, 0, 0, 0]) => Err(
            "it is a core WebAssembly module; build it for the wasm32-wasip2 target, or wrap \
             it with `wasm-tools component new`"
                .to_owned(),
        ),
        Some([0, b'a', b's', b'm', _, _, 1, 0]) => Ok(()),
        _ => Err("it is not a WebAssembly file".to_owned()),
    }
}

/// Advances the engines' epoch once per [`EPOCH_TICK`] of wall time, for as
/// long as one of them lives. A sleep that oversleeps (a busy or virtualized
/// machine wakes the thread late) is made up for by advancing several ticks
/// at once, so that a call's time limit is wall time, not a count of sleeps
/// (which made 5 s limits last up to 7 s).
fn start_epoch_ticker(engines: [EngineWeak; 2], clock: EpochClock) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("plugin-epoch".to_owned())
        .spawn(move || {
            loop {
                std::thread::sleep(EPOCH_TICK);
                let live: Vec<Engine> = engines.iter().filter_map(EngineWeak::upgrade).collect();
                if live.is_empty() {
                    return;
                }
                for _ in 0..clock.due(Instant::now()) {
                    live.iter().for_each(Engine::increment_epoch);
                }
            }
        })
        .map(drop)
}

/// The epoch as wall time gives it: ticks since the ticker started. Shared
/// by the ticker (which advances the engines) and the workers (which set
/// deadlines): a deadline set while the ticker is behind wall time counts
/// the ticks it is about to catch up, so that a limit is never cut short.
#[derive(Clone)]
pub(crate) struct EpochClock {
    start: Instant,
    ticked: Arc<AtomicU64>,
}

impl EpochClock {
    fn new(start: Instant) -> Self {
        EpochClock {
            start,
            ticked: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Ticks since the start, by wall time at `now`.
    fn total(&self, now: Instant) -> u64 {
        let total = now.saturating_duration_since(self.start).as_millis() / EPOCH_TICK.as_millis();
        u64::try_from(total).unwrap_or(u64::MAX)
    }

    /// How many ticks to advance at `now` to keep the epoch at one per
    /// [`EPOCH_TICK`] since the start (and counts them as advanced).
    fn due(&self, now: Instant) -> u64 {
        let total = self.total(now);
        total.saturating_sub(self.ticked.swap(total, Ordering::SeqCst))
    }

    /// How many ticks the ticker is behind wall time now: ticks it will
    /// advance at once when it wakes.
    pub(crate) fn lag(&self) -> u64 {
        self.total(Instant::now())
            .saturating_sub(self.ticked.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_epoch_catches_up_with_wall_time_after_a_late_wake() {
        let start = Instant::now();
        let clock = EpochClock::new(start);
        assert_eq!(clock.due(start + EPOCH_TICK), 1);
        // Woken 35 ms late: the tick due and the three missed at once, then
        // on time again.
        assert_eq!(
            clock.due(start + EPOCH_TICK * 2 + Duration::from_millis(35)),
            4
        );
        assert_eq!(clock.due(start + EPOCH_TICK * 6), 1);
        // Woken early: nothing is due until the next tick.
        assert_eq!(
            clock.due(start + EPOCH_TICK * 6 + Duration::from_millis(1)),
            0
        );
    }

    #[test]
    fn a_deadline_counts_the_ticks_the_ticker_is_behind() {
        let started = Instant::now()
            .checked_sub(EPOCH_TICK * 10)
            .expect("a machine up for more than 100 ms");
        let clock = EpochClock::new(started);
        // Ten ticks of wall time went by and none was advanced yet.
        assert!(clock.lag() >= 10, "{}", clock.lag());
        clock.due(Instant::now());
        assert!(clock.lag() <= 1, "{}", clock.lag());
    }
}
