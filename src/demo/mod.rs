//! The demo company "Acme Holdings": seeded on an empty store by `idmcp serve --demo`,
//! deterministic (seeded RNG, times relative to the seeding clock), and never applied twice.
//!
//! Each area seeds its own part, in dependency order, from the shared [`cast`] (the tenants,
//! named people and counts every part agrees on).

pub mod cast;
pub mod events;
pub mod keys;
pub mod project;
pub mod rbac;
pub mod tenants;
pub mod users;

use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::Value;

use crate::store::Db;

pub const COMPANY: &str = "Acme Holdings";
pub const ADMIN: &str = "admin@acme.example";
/// The fixed instant tests seed and run at (2026-11-20T12:00:00Z), in epoch milliseconds.
pub const TEST_NOW_MS: i64 = 1_795_176_000_000;

/// What every seeding step needs.
pub struct Seed<'a> {
    pub conn: &'a dyn Db,
    pub company_id: String,
    pub prod: String,
    pub staging: String,
    /// Seeding time in epoch milliseconds; every demo time is relative to it.
    pub now_ms: i64,
    pub rng: StdRng,
    /// How many generated baseline users to create (the named cast is always complete).
    pub baseline_users: usize,
}

/// How much generated data to seed around the named cast and planted stories.
#[derive(Clone, Copy, Debug)]
pub enum Scale {
    /// What `idmcp serve --demo` seeds: about 5,000 users and 13 months of events.
    Full,
    /// A few hundred users: the same stories, quick enough to seed once per test.
    Test,
}

impl Seed<'_> {
    pub fn now_secs(&self) -> i64 {
        self.now_ms / 1000
    }

    /// Stores a document with the keys its collection declares.
    pub fn put(
        &self,
        project: &str,
        coll: &str,
        id: &str,
        doc: &Value,
    ) -> crate::store::Result<()> {
        let created = doc
            .get("createdTime")
            .and_then(Value::as_i64)
            .unwrap_or(self.now_secs());
        self.conn.docs().put(
            project,
            coll,
            id,
            doc,
            created,
            crate::engine::indexed_paths(coll),
        )
    }
}

/// Seeds the demo company if the store has no company yet. Returns whether it seeded.
pub fn seed_if_empty(conn: &dyn Db, now_ms: i64, scale: Scale) -> crate::store::Result<bool> {
    if conn.principals().company_count()? > 0 {
        return Ok(false);
    }
    crate::store::in_tx(conn, |c| {
        let company_id = c.principals().ensure_company(COMPANY, now_ms)?;
        c.principals()
            .ensure_descoper(&company_id, ADMIN, "Acme Admin", true, now_ms)?;
        c.principals().ensure_descoper(
            &company_id,
            "dev@acme.example",
            "Dana Developer",
            false,
            now_ms,
        )?;
        c.principals().ensure_descoper(
            &company_id,
            "sec@acme.example",
            "Sam Security",
            false,
            now_ms,
        )?;
        let prod = c.principals().ensure_project(
            &company_id,
            "acme-prod",
            "production",
            &["prod"],
            now_ms,
        )?;
        let staging = c.principals().ensure_project(
            &company_id,
            "acme-staging",
            "",
            &["staging"],
            now_ms + 1,
        )?;
        let baseline_users = match scale {
            Scale::Full => cast::BASELINE_USERS,
            Scale::Test => 400,
        };
        let mut seed = Seed {
            conn: c,
            company_id,
            prod,
            staging,
            now_ms,
            rng: StdRng::seed_from_u64(0x1d3c_0de),
            baseline_users,
        };
        seed_areas(&mut seed)?;
        Ok::<_, crate::store::Error>(())
    })?;
    Ok(true)
}

/// The areas' seeding steps, in dependency order (roles before tenants before users before
/// keys and events).
fn seed_areas(seed: &mut Seed) -> crate::store::Result<()> {
    rbac::seed(seed)?;
    tenants::seed(seed)?;
    users::seed(seed)?;
    keys::seed(seed)?;
    project::seed(seed)?;
    events::seed(seed)?;
    Ok(())
}
