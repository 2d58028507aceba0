//! The demo company "Acme Holdings": seeded on an empty store by `idmcp serve --demo`,
//! deterministic, and never applied twice.

use rusqlite::{Connection, OptionalExtension};

use crate::store::principals;

pub const COMPANY: &str = "Acme Holdings";
pub const ADMIN: &str = "admin@acme.example";

/// Seeds the demo company if the store has no company yet. Returns whether it seeded.
pub fn seed_if_empty(conn: &Connection, now_ms: i64) -> rusqlite::Result<bool> {
    let any: Option<String> = conn.query_row("SELECT id FROM companies LIMIT 1", [], |r| r.get(0)).optional()?;
    if any.is_some() {
        return Ok(false);
    }
    crate::store::in_tx(conn, |c| {
        let company = principals::ensure_company(c, COMPANY, now_ms)?;
        principals::ensure_descoper(c, &company, ADMIN, "Acme Admin", true, now_ms)?;
        principals::ensure_descoper(c, &company, "dev@acme.example", "Dana Developer", false, now_ms)?;
        principals::ensure_project(c, &company, "acme-prod", "production", &["prod"], now_ms)?;
        principals::ensure_project(c, &company, "acme-staging", "", &["staging"], now_ms + 1)?;
        Ok::<_, rusqlite::Error>(())
    })?;
    Ok(true)
}
