//! Support for tests that drive the engine in-process: a demo store at a fixed clock, and a
//! way to open a write window without the approval page (the store-level effect of an
//! approval, for tests of what happens *inside* a window).

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicI64;

use crate::app::{App, Clock, Config};
use crate::demo::{self, Scale, TEST_NOW_MS};
use crate::store::Store;
use crate::store::principals::Principal;

/// A demo store under `dir`, seeded at [`TEST_NOW_MS`] with a fixed clock; passcodes go to
/// the file `dir/otp.jsonl` (see [`passcodes`]).
pub fn demo_app(dir: &Path) -> (Arc<App>, Principal) {
    let store =
        Store::open_with(dir, crate::store::Durability::Throwaway).expect("open test store");
    {
        let conn = store.writer_blocking();
        crate::engine::ensure_indexes(&conn).expect("index layout");
        demo::seed_if_empty(&conn, TEST_NOW_MS, Scale::Test).expect("seed demo");
    }
    let admin = {
        let conn = store.writer_blocking();
        conn.principals()
            .principal_for_email(demo::ADMIN)
            .expect("query")
            .expect("demo admin exists")
    };
    let config = Config {
        channel: crate::session::channel::Channel::File(dir.join("otp.jsonl")),
        ..Config::default()
    };
    let app = Arc::new(App::new(
        store,
        config,
        Clock::Fixed(AtomicI64::new(TEST_NOW_MS)),
    ));
    (app, admin)
}

/// Runs a write the way a human-approved one runs: the call starts an approval, the human
/// (this function) reads the passcode from the file channel of a [`demo_app`] in `dir` and
/// approves, and the same call is repeated. Reads run directly.
pub async fn call_approved(
    app: &Arc<App>,
    dir: &Path,
    p: &Principal,
    tool: &str,
    operation: &str,
    args: serde_json::Value,
) -> Result<serde_json::Value, crate::dispatch::CallError> {
    match crate::dispatch::call(app, p, tool, operation, args.clone()).await {
        Err(crate::dispatch::CallError::ApprovalRequired(pending)) => {
            let code = passcodes(dir)
                .into_iter()
                .rev()
                .find(|(id, _)| *id == pending.approval_id)
                .map(|(_, c)| c)
                .expect("the passcode was delivered to the file channel");
            {
                let conn = app.store.writer().await;
                crate::session::approvals::approve(
                    &conn,
                    &pending.approval_id,
                    &code,
                    app.config.write_window_secs * 1000,
                    app.clock.now_ms(),
                )
                .expect("store")
                .expect("the right passcode approves");
            }
            crate::dispatch::call(app, p, tool, operation, args).await
        }
        other => other,
    }
}

/// Selects a project by name for `p`'s session (tests only).
pub fn select_project(app: &App, p: &Principal, name: &str) {
    let conn = app.store.writer_blocking();
    let now = app.clock.now_ms();
    conn.principals().session_for(p, now).expect("session");
    let project = conn
        .principals()
        .find_project(&p.company_id, name)
        .expect("query")
        .expect("project exists");
    conn.principals()
        .set_session_project(&p.credential, &project.id, now)
        .expect("select");
}

/// Whether `expected` is contained in `actual`: objects by key (recursively), arrays by each
/// expected element matching some actual element, scalars by equality.
pub fn contains(actual: &serde_json::Value, expected: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (actual, expected) {
        (Value::Object(a), Value::Object(e)) => e
            .iter()
            .all(|(k, ev)| a.get(k).is_some_and(|av| contains(av, ev))),
        (Value::Array(a), Value::Array(e)) => {
            e.iter().all(|ev| a.iter().any(|av| contains(av, ev)))
        }
        (a, e) => a == e,
    }
}

/// Every passcode delivered through the file channel of a [`demo_app`]: (approval id, code).
pub fn passcodes(dir: &Path) -> Vec<(String, String)> {
    std::fs::read_to_string(dir.join("otp.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|v| {
            (
                v["approvalId"].as_str().unwrap_or_default().to_owned(),
                v["otp"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// A second company with its own admin (`boss@other.example`) and project (`other-prod`) in
/// the same store, for isolation tests: its principal.
pub fn other_company(app: &App) -> Principal {
    let conn = app.store.writer_blocking();
    let now = app.clock.now_ms();
    let c = conn.principals().ensure_company("Other Co", now).unwrap();
    conn.principals()
        .ensure_descoper(&c, "boss@other.example", "Boss", true, now)
        .unwrap();
    conn.principals()
        .ensure_project(&c, "other-prod", "production", &[], now)
        .unwrap();
    conn.principals()
        .principal_for_email("boss@other.example")
        .unwrap()
        .unwrap()
}

#[cfg(test)]
/// Runs an operation's engine directly on acme-prod, in a transaction, without the approval
/// gate (that is dispatch's concern and tested there): validation, execution, commit or
/// rollback. For handler unit tests.
pub async fn run_direct(
    app: &Arc<App>,
    p: &Principal,
    tool: &str,
    op: &str,
    args: serde_json::Value,
) -> Result<serde_json::Value, crate::dispatch::CallError> {
    use crate::catalog::{self, Exec};
    let op = catalog::find(tool, op).expect("known operation");
    crate::dispatch::validate(op, &args)?;
    let conn = app.store.writer().await;
    let now = app.clock.now_ms();
    let session = conn.principals().session_for(p, now).unwrap();
    let project = conn
        .principals()
        .find_project(&p.company_id, "acme-prod")
        .unwrap();
    let mut ctx = crate::engine::Ctx {
        app: app.clone(),
        principal: p.clone(),
        session,
        project,
        now_ms: now,
        conn,
    };
    ctx.conn.begin().unwrap();
    let out = match &op.def().exec {
        Exec::Verb(v) => crate::engine::verb::run(v, &mut ctx, args),
        Exec::Handler(h) => h(&mut ctx, args).await,
    };
    if out.is_ok() {
        ctx.conn.commit()
    } else {
        ctx.conn.rollback()
    }
    .unwrap();
    out.map_err(crate::dispatch::CallError::Api)
}

/// A fresh demo store whose operations a test calls through [`run_direct`].
#[cfg(test)]
pub struct Direct {
    pub rt: tokio::runtime::Runtime,
    pub app: Arc<App>,
    pub p: Principal,
    _dir: tempfile::TempDir,
}

#[cfg(test)]
impl Direct {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let (app, p) = demo_app(dir.path());
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        Direct {
            rt,
            app,
            p,
            _dir: dir,
        }
    }

    pub fn call(
        &self,
        tool: &str,
        op: &str,
        args: serde_json::Value,
    ) -> Result<serde_json::Value, crate::dispatch::CallError> {
        self.rt
            .block_on(run_direct(&self.app, &self.p, tool, op, args))
    }

    /// Runs `f` on an engine context in acme-prod over the writer, in a transaction that is
    /// committed afterwards (for tests of engine parts below the operations).
    pub fn with_ctx<R>(&self, f: impl FnOnce(&mut crate::engine::Ctx) -> R) -> R {
        let conn = self.app.store.writer_blocking();
        let now = self.app.clock.now_ms();
        let session = conn.principals().session_for(&self.p, now).unwrap();
        let project = conn
            .principals()
            .find_project(&self.p.company_id, "acme-prod")
            .unwrap();
        let mut ctx = crate::engine::Ctx {
            app: self.app.clone(),
            principal: self.p.clone(),
            session,
            project,
            now_ms: now,
            conn,
        };
        ctx.conn.begin().unwrap();
        let out = f(&mut ctx);
        ctx.conn.commit().unwrap();
        out
    }

    /// The id of a project of the demo company.
    pub fn project_id(&self, name: &str) -> String {
        let conn = self.app.store.writer_blocking();
        conn.principals()
            .find_project(&self.p.company_id, name)
            .unwrap()
            .expect("project exists")
            .id
    }
}
