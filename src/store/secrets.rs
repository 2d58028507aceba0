//! Server secrets and second factors: the per-store keys that passcode digests are keyed
//! with, and Descopers' authenticator (TOTP) enrolments with their last accepted step.

use super::Result;

/// A Descoper's authenticator enrolment as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TotpRecord {
    /// The shared secret, base32.
    pub secret: String,
    /// The last 30-second step a code was accepted for (0 before the first).
    pub last_step: i64,
}

pub trait Secrets {
    /// The server key `name`; if none exists yet, `fresh` is stored and returned (when two
    /// callers race, the first stored key wins for both).
    fn server_key(&self, name: &str, fresh: &[u8]) -> Result<Vec<u8>>;
    fn totp(&self, descoper_id: &str) -> Result<Option<TotpRecord>>;
    /// Stores (or replaces) an enrolment, its last step reset to 0.
    fn put_totp(&self, descoper_id: &str, secret: &str, created: i64) -> Result<()>;
    /// Whether there was an enrolment to remove.
    fn delete_totp(&self, descoper_id: &str) -> Result<bool>;
    /// Records `step` as used if it is later than the last used step; whether it was (so two
    /// approvals racing with the same code cannot both win).
    fn advance_totp(&self, descoper_id: &str, step: i64) -> Result<bool>;
}
