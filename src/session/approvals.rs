//! Approvals: a human's consent to *exactly* one or more write requests (company, principal,
//! session, project, tool, operation and canonical arguments), confirmed with a one-time
//! passcode, valid 10 minutes while pending, each approved request runnable once inside the
//! absolute write window that the approval opens.

use serde_json::{Map, Value, json};

use super::otp;
pub use crate::store::approvals::{Approval, Request, Status, status_text};
use crate::store::principals::Principal;
use crate::store::{Db, Result};

/// How long a pending approval can be approved.
pub const PENDING_MS: i64 = 10 * 60 * 1000;
/// Wrong passcodes that void one approval.
pub const MAX_ATTEMPTS: i64 = 5;
/// Failed passcodes across approvals, within [`LOCK_WINDOW_MS`], that lock a principal.
pub const LOCK_FAILURES: i64 = 10;
pub const LOCK_WINDOW_MS: i64 = 60 * 60 * 1000;
/// How long the lock lasts after the last failure.
pub const LOCK_MS: i64 = 30 * 60 * 1000;

impl Request {
    pub fn new(tool: &str, operation: &str, args: &Value) -> Self {
        Self {
            tool: tool.to_owned(),
            operation: operation.to_owned(),
            args: canonical(args),
        }
    }
}

/// JSON with every object's keys sorted: equal requests give equal text.
pub fn canonical(v: &Value) -> String {
    fn sort(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                Value::Object(
                    keys.into_iter()
                        .map(|k| (k.clone(), sort(&m[k])))
                        .collect::<Map<_, _>>(),
                )
            }
            Value::Array(a) => Value::Array(a.iter().map(sort).collect()),
            other => other.clone(),
        }
    }
    sort(v).to_string()
}

/// What a write names as its target, for humans: the first identifying argument.
pub fn target_of(args: &Value) -> String {
    for k in [
        "loginId",
        "userId",
        "id",
        "tenantId",
        "name",
        "email",
        "appId",
        "keyId",
        "flowId",
        "projectId",
    ] {
        if let Some(v) = args.get(k).and_then(Value::as_str) {
            return format!("{k} {v}");
        }
    }
    "(the selected project)".into()
}

pub fn load(db: &dyn Db, id: &str) -> Result<Option<Approval>> {
    db.approvals().load(id)
}

/// Whether the principal's elevation is locked out, and until when (epoch ms).
pub fn locked_until(db: &dyn Db, descoper_id: &str, now: i64) -> Result<Option<i64>> {
    let (n, last) = db
        .approvals()
        .failures_since(descoper_id, now - LOCK_WINDOW_MS)?;
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
    db: &dyn Db,
    p: &Principal,
    session_key: &str,
    project_id: &str,
    requests: Vec<Request>,
    display: Value,
    now: i64,
) -> Result<Created> {
    if let Some(approval) = db
        .approvals()
        .pending_for(session_key, project_id, &requests, now)?
    {
        return Ok(Created {
            approval,
            otp: None,
        });
    }
    let id = format!("ap_{}", otp::token());
    let code = otp::generate();
    let key = otp::server_key(db)?;
    let approval = Approval {
        otp_hash: otp::digest(&key, &id, &code),
        id,
        company_id: p.company_id.clone(),
        descoper_id: p.descoper_id.clone(),
        session_key: session_key.to_owned(),
        project_id: project_id.to_owned(),
        requests,
        display,
        csrf: otp::token(),
        status: Status::Pending,
        attempts: 0,
        created: now,
        expires: now + PENDING_MS,
        window_until: None,
        used: Vec::new(),
    };
    db.approvals().insert(&approval)?;
    Ok(Created {
        approval,
        otp: Some(code),
    })
}

/// The approved, unused request of this session matching `req`, inside its window.
pub fn executable(
    db: &dyn Db,
    session_key: &str,
    project_id: &str,
    req: &Request,
    now: i64,
) -> Result<Option<(String, usize)>> {
    for a in db.approvals().open_windows(session_key, project_id, now)? {
        if let Some(i) = a
            .requests
            .iter()
            .enumerate()
            .position(|(i, r)| r == req && !a.used.contains(&i))
        {
            return Ok(Some((a.id, i)));
        }
    }
    Ok(None)
}

/// Records that request `index` of approval `id` ran (inside the write's transaction).
pub fn mark_used(db: &dyn Db, id: &str, index: usize) -> Result<()> {
    let a = db.approvals().load(id)?.ok_or_else(|| {
        crate::store::Error::msg(format!("approval {id} vanished inside its write"))
    })?;
    let mut used = a.used;
    used.push(index);
    db.approvals().set_used(id, &used)
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
pub fn approve(
    db: &dyn Db,
    id: &str,
    code: &str,
    window_ms: i64,
    now: i64,
) -> Result<Result<Approval, Refusal>> {
    let Some(a) = load(db, id)? else {
        return Ok(Err(Refusal::Unknown));
    };
    match a.status {
        Status::Approved => return Ok(Err(Refusal::AlreadyApproved)),
        Status::Voided => return Ok(Err(Refusal::Voided)),
        Status::Pending if a.expires <= now => return Ok(Err(Refusal::Expired)),
        Status::Pending => {}
    }
    if let Some(until) = locked_until(db, &a.descoper_id, now)? {
        return Ok(Err(Refusal::Locked { until }));
    }
    let key = otp::server_key(db)?;
    if !otp::matches(&key, &a.id, code, &a.otp_hash) {
        let attempts = a.attempts + 1;
        db.approvals().add_failure(&a.descoper_id, now)?;
        if attempts >= MAX_ATTEMPTS {
            db.approvals().set_attempts(id, attempts, true)?;
            return Ok(Err(Refusal::TooManyAttempts));
        }
        db.approvals().set_attempts(id, attempts, false)?;
        if let Some(until) = locked_until(db, &a.descoper_id, now)? {
            return Ok(Err(Refusal::Locked { until }));
        }
        return Ok(Err(Refusal::WrongCode {
            remaining: MAX_ATTEMPTS - attempts,
        }));
    }
    open_window(db, &a, window_ms, now).map(Ok)
}

/// Marks `a` approved and opens its session's write window; the approval as now stored.
pub fn open_window(db: &dyn Db, a: &Approval, window_ms: i64, now: i64) -> Result<Approval> {
    let until = now + window_ms;
    db.approvals().set_approved(&a.id, now, until)?;
    db.principals()
        .set_elevation(&a.session_key, Some(until), Some(&a.id), now)?;
    load(db, &a.id)?.ok_or_else(|| {
        crate::store::Error::msg(format!("approval {} vanished while it was approved", a.id))
    })
}

/// Cancels one approval.
pub fn end_approval(db: &dyn Db, id: &str) -> Result<()> {
    db.approvals().void(id)
}

/// Ends a session's elevation: its window closes and its pending or approved requests die.
pub fn end_session(db: &dyn Db, session_key: &str, now: i64) -> Result<usize> {
    let n = db.approvals().void_session(session_key)?;
    db.principals()
        .set_elevation(session_key, None, None, now)?;
    Ok(n)
}

/// Ends every session's elevation now (operator's revoke-all).
pub fn revoke_all(db: &dyn Db, now: i64) -> Result<usize> {
    let n = db.approvals().void_all()?;
    db.principals().end_all_elevations(now)?;
    Ok(n)
}

/// The approval's requests for display (page, tool results), secrets already masked.
pub fn display_json(a: &Approval) -> Value {
    json!({"approvalId": a.id, "status": status_text(&a.status), "requests": a.display, "expiresAt": a.expires / 1000})
}
