//! Approval records: a human's consent to exactly one or more write requests, as stored.
//! The rules (who may approve, passcodes, windows, lock-outs) live in
//! [`crate::session::approvals`]; this module owns the shapes and the [`Approvals`] contract.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Result;

/// One write request as approved: the tool, the operation and the canonical arguments.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    pub tool: String,
    pub operation: String,
    /// The arguments with object keys sorted, as compact JSON.
    pub args: String,
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
    /// HMAC of the passcode (see [`crate::session::otp`]); never the passcode.
    pub otp_hash: String,
}

pub fn status_text(s: &Status) -> &'static str {
    match s {
        Status::Pending => "pending",
        Status::Approved => "approved",
        Status::Voided => "voided",
    }
}

/// Approval records and the failed-passcode log behind lock-outs.
pub trait Approvals {
    fn insert(&self, a: &Approval) -> Result<()>;
    fn load(&self, id: &str) -> Result<Option<Approval>>;
    /// The newest unexpired pending approval of the session for exactly these requests.
    fn pending_for(
        &self,
        session_key: &str,
        project_id: &str,
        requests: &[Request],
        now: i64,
    ) -> Result<Option<Approval>>;
    /// Every approval of a session (any status), newest first.
    fn of_session(&self, session_key: &str) -> Result<Vec<Approval>>;
    /// The session's approved approvals whose window is still open, oldest first.
    fn open_windows(&self, session_key: &str, project_id: &str, now: i64) -> Result<Vec<Approval>>;
    /// Records which of the approval's requests have run.
    fn set_used(&self, id: &str, used: &[usize]) -> Result<()>;
    /// Records a wrong passcode count; `void` also cancels the approval.
    fn set_attempts(&self, id: &str, attempts: i64, void: bool) -> Result<()>;
    /// Marks the approval approved at `at`, its write window open until `window_until`.
    fn set_approved(&self, id: &str, at: i64, window_until: i64) -> Result<()>;
    fn void(&self, id: &str) -> Result<()>;
    /// Cancels the session's pending and approved approvals; how many.
    fn void_session(&self, session_key: &str) -> Result<usize>;
    /// Cancels every pending and approved approval; how many.
    fn void_all(&self) -> Result<usize>;
    /// Logs one failed passcode of a Descoper.
    fn add_failure(&self, descoper_id: &str, at: i64) -> Result<()>;
    /// How many failed passcodes a Descoper has had after `since`, and the latest one's time.
    fn failures_since(&self, descoper_id: &str, since: i64) -> Result<(i64, Option<i64>)>;
}
