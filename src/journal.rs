//! idmcp's own audit journal: one record per MCP request, refusal, sign-in, project switch and
//! write. A write's record is appended inside the write's transaction; everything else is
//! appended on its own. Values are stored redacted (secrets masked, control characters encoded).

use rusqlite::{Connection, params};
use serde_json::{Value, json};

use crate::app::App;
use crate::store::principals::Principal;

/// One journal record being built up by the dispatch path or a transport.
#[derive(Clone, Debug)]
pub struct Entry {
    pub occurred: i64,
    pub company_id: String,
    pub principal: String,
    pub session: String,
    pub project_id: String,
    pub kind: String,
    pub tool: String,
    pub operation: String,
    pub outcome: String,
    pub duration_us: i64,
    pub approval_id: String,
    pub correlation_id: String,
    pub detail: Value,
}

impl Entry {
    pub fn new(occurred: i64, kind: &str, p: &Principal) -> Self {
        Self {
            occurred,
            company_id: p.company_id.clone(),
            principal: p.email.clone(),
            session: String::new(),
            project_id: String::new(),
            kind: kind.into(),
            tool: String::new(),
            operation: String::new(),
            outcome: "pending".into(),
            duration_us: 0,
            approval_id: String::new(),
            correlation_id: String::new(),
            detail: json!({}),
        }
    }

    /// A record for a request with no authenticated principal.
    pub fn anonymous(occurred: i64, kind: &str) -> Self {
        let mut e = Self::new(occurred, kind, &Principal {
            descoper_id: String::new(),
            email: String::new(),
            name: String::new(),
            company_id: String::new(),
            company_name: String::new(),
            is_admin: false,
            credential: String::new(),
        });
        e.outcome = "denied".into();
        e
    }

    pub fn tool(mut self, t: &str) -> Self {
        self.tool = t.into();
        self
    }

    pub fn operation(mut self, o: &str) -> Self {
        self.operation = o.into();
        self
    }
}

/// Encodes CR, LF and other control characters so a record can never forge a log line.
pub fn clean(s: &str) -> String {
    s.chars().flat_map(|c| if c.is_control() { c.escape_default().collect::<Vec<_>>() } else { vec![c] }).collect()
}

/// Appends inside the caller's open transaction.
pub fn append_in(conn: &Connection, e: &Entry) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO journal (occurred, company_id, principal, session, project_id, kind, tool, operation, outcome, duration_us, approval_id, correlation_id, detail) \
         VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)",
    )?
    .execute(params![
        e.occurred,
        e.company_id,
        clean(&e.principal),
        e.session,
        e.project_id,
        e.kind,
        clean(&e.tool),
        clean(&e.operation),
        e.outcome,
        e.duration_us,
        e.approval_id,
        clean(&e.correlation_id),
        clean(&e.detail.to_string()),
    ])?;
    Ok(())
}

/// Appends on the writer connection; a failure is logged, never shown to the caller.
pub async fn append(app: &App, e: &Entry) {
    let conn = app.store.writer().await;
    if let Err(err) = append_in(&conn, e) {
        tracing::error!(error = %err, kind = %e.kind, "cannot append to the audit journal");
    }
}
