//! Support for tests that drive the engine in-process: a demo store at a fixed clock, and a
//! way to open a write window without the approval page (the store-level effect of an
//! approval, for tests of what happens *inside* a window).

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicI64;

use crate::app::{App, Clock, Config};
use crate::demo::{self, Scale, TEST_NOW_MS};
use crate::store::Store;
use crate::store::principals::{self, Principal};

/// A demo store under `dir`, seeded at [`TEST_NOW_MS`] with a fixed clock.
pub fn demo_app(dir: &Path) -> (Arc<App>, Principal) {
    let store = Store::open(dir).expect("open test store");
    {
        let conn = store.writer_blocking();
        demo::seed_if_empty(&conn, TEST_NOW_MS, Scale::Test).expect("seed demo");
    }
    let admin = {
        let conn = store.writer_blocking();
        principals::principal_for_email(&conn, demo::ADMIN).expect("query").expect("demo admin exists")
    };
    let app = Arc::new(App { store, config: Config::default(), clock: Clock::Fixed(AtomicI64::new(TEST_NOW_MS)) });
    (app, admin)
}

/// Opens a write window for `p`'s session as an approval would (tests only).
pub fn open_write_window(app: &App, p: &Principal, approval_id: &str) {
    let conn = app.store.writer_blocking();
    let now = app.clock.now_ms();
    principals::session_for(&conn, p, now).expect("session");
    principals::set_elevation(&conn, &p.credential, Some(now + app.config.write_window_secs * 1000), Some(approval_id), now).expect("elevate");
}

/// Selects a project by name for `p`'s session (tests only).
pub fn select_project(app: &App, p: &Principal, name: &str) {
    let conn = app.store.writer_blocking();
    let now = app.clock.now_ms();
    principals::session_for(&conn, p, now).expect("session");
    let project = principals::find_project(&conn, &p.company_id, name).expect("query").expect("project exists");
    principals::set_session_project(&conn, &p.credential, &project.id, now).expect("select");
}

/// Whether `expected` is contained in `actual`: objects by key (recursively), arrays by each
/// expected element matching some actual element, scalars by equality.
pub fn contains(actual: &serde_json::Value, expected: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (actual, expected) {
        (Value::Object(a), Value::Object(e)) => e.iter().all(|(k, ev)| a.get(k).is_some_and(|av| contains(av, ev))),
        (Value::Array(a), Value::Array(e)) => e.iter().all(|ev| a.iter().any(|av| contains(av, ev))),
        (a, e) => a == e,
    }
}
