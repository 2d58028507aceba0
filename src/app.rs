//! Process-wide state shared by every transport and request: the store, the configuration
//! and the clock (a fixed, movable clock in tests).

use std::sync::atomic::{AtomicI64, Ordering};

use std::sync::OnceLock;

use crate::session::channel::Channel;
use crate::store::Store;

/// Settings that shape behaviour, fixed at start-up.
#[derive(Clone, Debug)]
pub struct Config {
    /// Base URL used in links shown to humans (approval pages).
    pub public_url: String,
    /// Length of a write window in seconds (at most 15 minutes).
    pub write_window_secs: i64,
    /// Where passcodes go.
    pub channel: Channel,
}

impl Default for Config {
    fn default() -> Self {
        Self { public_url: "http://127.0.0.1:7337".into(), write_window_secs: 15 * 60, channel: Channel::Console }
    }
}

/// Wall clock, or a fixed instant tests can move.
pub enum Clock {
    System,
    Fixed(AtomicI64),
}

impl Clock {
    pub fn now_ms(&self) -> i64 {
        match self {
            Clock::System => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as i64)
                .unwrap_or(0),
            Clock::Fixed(t) => t.load(Ordering::SeqCst),
        }
    }

    /// Moves a fixed clock forward (no effect on the system clock).
    pub fn advance_ms(&self, ms: i64) {
        if let Clock::Fixed(t) = self {
            t.fetch_add(ms, Ordering::SeqCst);
        }
    }
}

pub struct App {
    pub store: Store,
    pub config: Config,
    pub clock: Clock,
    /// The journal's group-commit queue, once the runtime has started it.
    pub journal: OnceLock<crate::journal::Queue>,
}

impl App {
    pub fn new(store: Store, config: Config, clock: Clock) -> Self {
        Self { store, config, clock, journal: OnceLock::new() }
    }
}
