//! Platform audit events (LoginSucceed, UserCreated, …): what SearchAudit and SearchAnalytics
//! read, and what operations such as test-user OTP generation append.

use rusqlite::{Connection, params};
use serde_json::Value;

/// One event as stored (times in epoch milliseconds).
#[derive(Clone, Debug, Default)]
pub struct Event {
    pub project_id: String,
    pub occurred: i64,
    pub action: String,
    pub kind: String,
    pub actor_id: String,
    pub user_id: String,
    pub login_id: String,
    pub method: String,
    pub device: String,
    pub geo: String,
    pub remote_address: String,
    pub tenants: Vec<String>,
    pub data: Value,
}

pub fn insert(conn: &Connection, e: &Event) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO audit_events (project_id, occurred, action, type, actor_id, user_id, login_id, method, device, geo, remote_address, tenants, data) \
         VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)",
    )?
    .execute(params![
        e.project_id,
        e.occurred,
        e.action,
        if e.kind.is_empty() { "info" } else { &e.kind },
        e.actor_id,
        e.user_id,
        e.login_id,
        e.method,
        e.device,
        e.geo,
        e.remote_address,
        serde_json::to_string(&e.tenants).expect("strings serialize"),
        serde_json::to_string(&e.data).expect("JSON serializes"),
    ])?;
    Ok(())
}
