//! Approvals: a human's consent to *exactly* one or more write requests (company, principal,
//! session, project, tool, operation and canonical arguments), confirmed with a one-time
//! passcode, valid 10 minutes while pending, each approved request runnable once inside the
//! absolute write window that the approval opens.

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::otp;
use crate::store::principals::{self, Principal};

/// How long a pending approval can be approved.
pub const PENDING_MS: i64 = 10 * 60 * 1000;
/// Wrong passcodes that void one approval.
pub const MAX_ATTEMPTS: i64 = 5;
/// Failed passcodes across approvals, within [`LOCK_WINDOW_MS`], that lock a principal.
pub const LOCK_FAILURES: i64 = 10;
pub const LOCK_WINDOW_MS: i64 = 60 * 60 * 1000;
/// How long the lock lasts after the last failure.
pub const LOCK_MS: i64 = 30 * 60 * 1000;

/// One write request as approved: the tool, the operation and the canonical arguments.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    pub tool: String,
    pub operation: String,
    /// The arguments with object keys sorted, as compact JSON.
    pub args: String,
}

impl Request {
    pub fn new(tool: &str, operation: &str, args: &Value) -> Self {
        Self { tool: tool.to_owned(), operation: operation.to_owned(), args: canonical(args) }
    }
}

/// JSON with every object's keys sorted: equal requests give equal text.
pub fn canonical(v: &Value) -> String {
    fn sort(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                Value::Object(keys.into_iter().map(|k| (k.clone(), sort(&m[k]))).collect::<Map<_, _>>())
            }
            Value::Array(a) => Value::Array(a.iter().map(sort).collect()),
            other => other.clone(),
        }
    }
    sort(v).to_string()
}

/// What a write names as its target, for humans: the first identifying argument.
pub fn target_of(args: &Value) -> String {
    for k in ["loginId", "userId", "id", "tenantId", "name", "email", "appId", "keyId", "flowId", "projectId"] {
        if let Some(v) = args.get(k).and_then(Value::as_str) {
            return format!("{k} {v}");
        }
    }
    "(the selected project)".into()
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    Pending,
    Approved,
    Voided,
}

/// An approval as stored.
#[derive(Clone, Debug)]
pub struct Approval {
    pub id: String,
    pub company_id: String,
    pub descoper_id: String,
    pub session_key: String,
    pub project_id: String,
    pub requests: Vec<Request>,
    /// Redacted requests for the approval page.
    pub display: Value,
    pub csrf: String,
    pub status: Status,
    pub attempts: i64,
    pub created: i64,
    pub expires: i64,
    pub window_until: Option<i64>,
    pub used: Vec<usize>,
    otp_hash: String,
}

fn status_text(s: &Status) -> &'static str {
    match s {
        Status::Pending => "pending",
        Status::Approved => "approved",
        Status::Voided => "voided",
    }
}

fn row(r: &rusqlite::Row) -> rusqlite::Result<Approval> {
    let requests: String = r.get(5)?;
    let display: String = r.get(6)?;
    let status: String = r.get(9)?;
    let used: String = r.get(15)?;
    Ok(Approval {
        id: r.get(0)?,
        company_id: r.get(1)?,
        descoper_id: r.get(2)?,
        session_key: r.get(3)?,
        project_id: r.get(4)?,
        requests: serde_json::from_str(&requests).unwrap_or_default(),
        display: serde_json::from_str(&display).unwrap_or(Value::Null),
        otp_hash: r.get(7)?,
        csrf: r.get(8)?,
        status: match status.as_str() {
            "pending" => Status::Pending,
            "approved" => Status::Approved,
            _ => Status::Voided,
        },
        attempts: r.get(10)?,
        created: r.get(11)?,
        expires: r.get(12)?,
        window_until: r.get(14)?,
        used: serde_json::from_str(&used).unwrap_or_default(),
    })
}

const COLS: &str = "id, company_id, descoper_id, session_key, project_id, requests, display, otp_hash, csrf, status, attempts, created, expires, approved_at, window_until, used";

pub fn load(conn: &Connection, id: &str) -> rusqlite::Result<Option<Approval>> {
    conn.query_row(&format!("SELECT {COLS} FROM approvals WHERE id=?1"), [id], row).optional()
}

/// Whether the principal's elevation is locked out, and until when (epoch ms).
pub fn locked_until(conn: &Connection, descoper_id: &str, now: i64) -> rusqlite::Result<Option<i64>> {
    let (n, last): (i64, Option<i64>) = conn.query_row(
        "SELECT COUNT(*), MAX(occurred) FROM elevation_failures WHERE descoper_id=?1 AND occurred > ?2",
        params![descoper_id, now - LOCK_WINDOW_MS],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok(match last {
        Some(last) if n >= LOCK_FAILURES && last + LOCK_MS > now => Some(last + LOCK_MS),
        _ => None,
    })
}

/// A freshly created approval and its passcode (which only the channel may see).
pub struct Created {
    pub approval: Approval,
    pub otp: Option<String>,
}

/// Returns the pending approval for exactly these requests in this session, or creates one
/// with a new passcode. Reusing a pending approval sends no new code (and so cannot reset
/// its attempt count).
pub fn request(
    conn: &Connection,
    p: &Principal,
    session_key: &str,
    project_id: &str,
    requests: Vec<Request>,
    display: Value,
    now: i64,
) -> rusqlite::Result<Created> {
    let wanted = serde_json::to_string(&requests).expect("requests serialize");
    let existing = conn
        .query_row(
            &format!("SELECT {COLS} FROM approvals WHERE session_key=?1 AND project_id=?2 AND requests=?3 AND status='pending' AND expires > ?4 ORDER BY created DESC LIMIT 1"),
            params![session_key, project_id, wanted, now],
            row,
        )
        .optional()?;
    if let Some(approval) = existing {
        return Ok(Created { approval, otp: None });
    }
    let id = format!("ap_{}", otp::token());
    let code = otp::generate();
    let key = otp::server_key(conn)?;
    let csrf = otp::token();
    conn.execute(
        "INSERT INTO approvals (id, company_id, descoper_id, session_key, project_id, requests, display, otp_hash, csrf, status, created, expires) \
         VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,'pending',?10,?11)",
        params![id, p.company_id, p.descoper_id, session_key, project_id, wanted, display.to_string(), otp::digest(&key, &id, &code), csrf, now, now + PENDING_MS],
    )?;
    let approval = load(conn, &id)?.expect("just inserted");
    Ok(Created { approval, otp: Some(code) })
}

/// The approved, unused request of this session matching `req`, inside its window.
pub fn executable(conn: &Connection, session_key: &str, project_id: &str, req: &Request, now: i64) -> rusqlite::Result<Option<(String, usize)>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {COLS} FROM approvals WHERE session_key=?1 AND project_id=?2 AND status='approved' AND window_until > ?3 ORDER BY created"
    ))?;
    let rows = st.query_map(params![session_key, project_id, now], row)?;
    for a in rows {
        let a = a?;
        if let Some(i) = a.requests.iter().enumerate().position(|(i, r)| r == req && !a.used.contains(&i)) {
            return Ok(Some((a.id, i)));
        }
    }
    Ok(None)
}

/// Records that request `index` of approval `id` ran (inside the write's transaction).
pub fn mark_used(conn: &Connection, id: &str, index: usize) -> rusqlite::Result<()> {
    let a = load(conn, id)?.expect("approval exists");
    let mut used = a.used;
    used.push(index);
    conn.execute("UPDATE approvals SET used=?2 WHERE id=?1", params![id, serde_json::to_string(&used).expect("ints serialize")])?;
    Ok(())
}

/// Why a passcode was not accepted; each says exactly what happened.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    Unknown,
    Expired,
    AlreadyApproved,
    Voided,
    WrongCode { remaining: i64 },
    TooManyAttempts,
    Locked { until: i64 },
}

impl Refusal {
    pub fn message(&self) -> String {
        match self {
            Refusal::Unknown => "There is no such approval request.".into(),
            Refusal::Expired => "This approval request expired (requests must be approved within 10 minutes). Ask the assistant to try the change again for a new code.".into(),
            Refusal::AlreadyApproved => "This request was already approved; the passcode cannot be used again.".into(),
            Refusal::Voided => "This approval request was cancelled (too many wrong codes, ended elevation, or an administrator revoked it). Ask the assistant to try again.".into(),
            Refusal::WrongCode { remaining } => format!("Wrong passcode. {remaining} attempt(s) left before this request is cancelled."),
            Refusal::TooManyAttempts => "Wrong passcode. Too many wrong codes: this request is cancelled.".into(),
            Refusal::Locked { until } => format!("Too many wrong passcodes recently: approvals are locked for this account until epoch {}.", until / 1000),
        }
    }
}

/// Checks `code` for approval `id`; on success the approval opens the session's write window.
pub fn approve(conn: &Connection, id: &str, code: &str, window_ms: i64, now: i64) -> rusqlite::Result<Result<Approval, Refusal>> {
    let Some(a) = load(conn, id)? else { return Ok(Err(Refusal::Unknown)) };
    match a.status {
        Status::Approved => return Ok(Err(Refusal::AlreadyApproved)),
        Status::Voided => return Ok(Err(Refusal::Voided)),
        Status::Pending if a.expires <= now => return Ok(Err(Refusal::Expired)),
        Status::Pending => {}
    }
    if let Some(until) = locked_until(conn, &a.descoper_id, now)? {
        return Ok(Err(Refusal::Locked { until }));
    }
    let key = otp::server_key(conn)?;
    if !otp::matches(&key, &a.id, code, &a.otp_hash) {
        let attempts = a.attempts + 1;
        conn.execute("INSERT INTO elevation_failures (descoper_id, occurred) VALUES (?1, ?2)", params![a.descoper_id, now])?;
        if attempts >= MAX_ATTEMPTS {
            conn.execute("UPDATE approvals SET attempts=?2, status='voided' WHERE id=?1", params![id, attempts])?;
            return Ok(Err(Refusal::TooManyAttempts));
        }
        conn.execute("UPDATE approvals SET attempts=?2 WHERE id=?1", params![id, attempts])?;
        if let Some(until) = locked_until(conn, &a.descoper_id, now)? {
            return Ok(Err(Refusal::Locked { until }));
        }
        return Ok(Err(Refusal::WrongCode { remaining: MAX_ATTEMPTS - attempts }));
    }
    let until = now + window_ms;
    conn.execute("UPDATE approvals SET status='approved', approved_at=?2, window_until=?3 WHERE id=?1", params![id, now, until])?;
    principals::set_elevation(conn, &a.session_key, Some(until), Some(id), now)?;
    Ok(Ok(load(conn, id)?.expect("exists")))
}

/// Cancels one approval.
pub fn end_approval(conn: &Connection, id: &str) -> rusqlite::Result<()> {
    conn.execute("UPDATE approvals SET status='voided' WHERE id=?1", [id])?;
    Ok(())
}

/// Ends a session's elevation: its window closes and its pending or approved requests die.
pub fn end_session(conn: &Connection, session_key: &str, now: i64) -> rusqlite::Result<usize> {
    let n = conn.execute("UPDATE approvals SET status='voided' WHERE session_key=?1 AND status IN ('pending','approved')", [session_key])?;
    principals::set_elevation(conn, session_key, None, None, now)?;
    Ok(n)
}

/// Ends every session's elevation now (operator's revoke-all).
pub fn revoke_all(conn: &Connection, now: i64) -> rusqlite::Result<usize> {
    let n = conn.execute("UPDATE approvals SET status='voided' WHERE status IN ('pending','approved')", [])?;
    conn.execute("UPDATE sessions SET elevated_until=NULL, approval_id=NULL, updated=?1 WHERE elevated_until IS NOT NULL", [now])?;
    Ok(n)
}

/// The approval's requests for display (page, tool results), secrets already masked.
pub fn display_json(a: &Approval) -> Value {
    json!({"approvalId": a.id, "status": status_text(&a.status), "requests": a.display, "expiresAt": a.expires / 1000})
}
