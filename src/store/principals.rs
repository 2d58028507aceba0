//! Companies, their Descopers (console users) and projects; API tokens (hash only); and the
//! sessions keyed by credential that hold the selected project and the elevation state.
//! This module owns their shapes and the [`Principals`] contract; backends store them.

use sha2::{Digest, Sha256};

use super::Result;

/// Who is calling: a Descoper of exactly one company.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub descoper_id: String,
    pub email: String,
    pub name: String,
    pub company_id: String,
    pub company_name: String,
    pub is_admin: bool,
    /// The credential the session is keyed by (token id, or `local:<email>`).
    pub credential: String,
}

#[derive(Clone, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Project {
    pub id: String,
    pub name: String,
    pub environment: String,
    pub tags: Vec<String>,
}

/// A session row.
#[derive(Clone, Debug)]
pub struct Session {
    pub key: String,
    pub project_id: Option<String>,
    pub elevated_until: Option<i64>,
    pub approval_id: Option<String>,
}

pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// A random identifier with a readable prefix (Descope ids look like `U2abc…`).
pub fn new_id(prefix: &str) -> String {
    use rand::RngExt;
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    let tail: String = (0..27)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    format!("{prefix}{tail}")
}

/// Who may call, on which projects, and their sessions.
pub trait Principals {
    /// The company named `name`, created if missing; its id.
    fn ensure_company(&self, name: &str, now: i64) -> Result<String>;
    /// The name of a company (empty if unknown).
    fn company_name(&self, company_id: &str) -> Result<Option<String>>;
    /// How many companies the store holds (0 on a fresh store).
    fn company_count(&self) -> Result<i64>;
    /// The Descoper with `email`, created in `company_id` if missing; its id.
    fn ensure_descoper(
        &self,
        company_id: &str,
        email: &str,
        name: &str,
        is_admin: bool,
        now: i64,
    ) -> Result<String>;
    /// The project `name` of the company, created if missing; its id.
    fn ensure_project(
        &self,
        company_id: &str,
        name: &str,
        environment: &str,
        tags: &[&str],
        now: i64,
    ) -> Result<String>;
    /// The company's projects, oldest first.
    fn projects_of(&self, company_id: &str) -> Result<Vec<Project>>;
    /// The project `id_or_name` if it belongs to `company_id` (an id match wins over a name
    /// match; names compare ignoring ASCII case). It runs on every call: keep it one lookup.
    fn find_project(&self, company_id: &str, id_or_name: &str) -> Result<Option<Project>>;
    /// Creates an API token for the Descoper with `email`: `(id, secret)`, the secret shown
    /// once and stored only as its SHA-256. `None` when there is no such Descoper.
    fn create_token(
        &self,
        email: &str,
        name: &str,
        expires: Option<i64>,
        now: i64,
    ) -> Result<Option<(String, String)>>;
    /// The principal behind a token secret, if the token exists, is not revoked and not expired.
    fn principal_for_token(&self, secret: &str, now: i64) -> Result<Option<Principal>> {
        Ok(self.token_principal(secret, now)?.map(|(p, _)| p))
    }
    /// [`Principals::principal_for_token`] with the token's expiry (epoch ms, `None` = never),
    /// so a cache of the answer knows when it stops being true.
    fn token_principal(&self, secret: &str, now: i64) -> Result<Option<(Principal, Option<i64>)>>;
    /// A counter that changes (in every process sharing the store) whenever a token, Descoper,
    /// company, project or session is created, changed or removed. Servers cache principals,
    /// sessions and projects against it and read it on every request: keep it one lookup.
    fn auth_generation(&self) -> Result<i64>;
    /// The principal for a Descoper e-mail (local-only mode binds every request to one).
    fn principal_for_email(&self, email: &str) -> Result<Option<Principal>>;
    /// Revokes the token with this id or secret; its id if one was active.
    fn revoke_token(&self, id_or_secret: &str, now: i64) -> Result<Option<String>>;
    /// One line per token: id, owner, name, state (never the secret or its hash).
    fn list_tokens(&self) -> Result<Vec<String>>;
    /// The session for this credential, created on first use with the company's first project.
    fn session_for(&self, p: &Principal, now: i64) -> Result<Session>;
    fn set_session_project(&self, key: &str, project_id: &str, now: i64) -> Result<()>;
    fn set_elevation(
        &self,
        key: &str,
        until: Option<i64>,
        approval_id: Option<&str>,
        now: i64,
    ) -> Result<()>;
    /// Closes every session's write window (operator's revoke-all); how many were open.
    fn end_all_elevations(&self, now: i64) -> Result<usize>;
}
