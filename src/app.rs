//! Process-wide state shared by every transport and request: the store, the configuration
//! and the clock (a fixed, movable clock in tests).

use std::sync::atomic::{AtomicI64, Ordering};

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use sha2::{Digest, Sha256};

use crate::session::channel::Channel;
use crate::store::principals::{Principal, Project, Session};
use crate::store::{Db, Store};

/// Settings that shape behaviour, fixed at start-up.
#[derive(Clone, Debug)]
pub struct Config {
    /// Base URL used in links shown to humans (approval pages).
    pub public_url: String,
    /// Length of a write window in seconds (at most 15 minutes).
    pub write_window_secs: i64,
    /// Where passcodes go.
    pub channel: Channel,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:7337".into(),
            write_window_secs: 15 * 60,
            channel: Channel::Console,
        }
    }
}

/// Wall clock, or a fixed instant tests can move.
pub enum Clock {
    System,
    Fixed(AtomicI64),
}

impl Clock {
    pub fn now_ms(&self) -> i64 {
        match self {
            Clock::System => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as i64)
                .unwrap_or(0),
            Clock::Fixed(t) => t.load(Ordering::SeqCst),
        }
    }

    /// Moves a fixed clock forward (no effect on the system clock).
    pub fn advance_ms(&self, ms: i64) {
        if let Clock::Fixed(t) = self {
            t.fetch_add(ms, Ordering::SeqCst);
        }
    }
}

pub struct App {
    pub store: Store,
    pub config: Config,
    pub clock: Clock,
    /// The journal's group-commit queue, once the runtime has started it.
    pub journal: OnceLock<crate::journal::Queue>,
    /// Recently authenticated tokens and their sessions, checked against the store on every
    /// request.
    pub auth: AuthCache,
}

impl App {
    pub fn new(store: Store, config: Config, clock: Clock) -> Self {
        Self {
            store,
            config,
            clock,
            journal: OnceLock::new(),
            auth: AuthCache::default(),
        }
    }
}

/// The principals behind recently seen tokens and the (session, project) of their
/// credentials, so a request does not repeat the token join, the session query and the
/// project lookup. Every use first reads the store's auth generation
/// ([`crate::store::Principals::auth_generation`], one primary-key lookup on the request's
/// own connection): any token, Descoper, company, project or session change, by this process
/// or another one on the same store (`idmcp token revoke`), moves it, and a different value
/// empties the cache before it is consulted. A token's expiry is checked against the clock on
/// every hit. Nothing is cached for a token that did not authenticate. Tokens are keyed by
/// their SHA-256, never the secret.
#[derive(Default)]
pub struct AuthCache {
    inner: Mutex<AuthEntries>,
}

#[derive(Default)]
struct AuthEntries {
    /// The generation the entries were read at.
    generation: Option<i64>,
    tokens: HashMap<[u8; 32], (Principal, Option<i64>)>,
    sessions: HashMap<String, (Session, Option<Project>)>,
}

/// More distinct live credentials than this and the cache starts over (bounded memory).
const AUTH_CACHE_MAX: usize = 10_000;

impl AuthEntries {
    /// The entries valid at `generation` (emptied if they were read at another one).
    fn at(&mut self, generation: i64) -> &mut Self {
        if self.generation != Some(generation) {
            self.tokens.clear();
            self.sessions.clear();
            self.generation = Some(generation);
        }
        self
    }
}

impl AuthCache {
    /// The principal behind `secret` if the token exists, is not revoked and not expired:
    /// from the cache when nothing changed since it was read, else from `db`.
    pub fn principal(
        &self,
        db: &dyn Db,
        secret: &str,
        now: i64,
    ) -> crate::store::Result<Option<Principal>> {
        let generation = db.principals().auth_generation()?;
        let key: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
        {
            let mut c = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((p, expires)) = c.at(generation).tokens.get(&key) {
                if expires.is_none_or(|e| e > now) {
                    return Ok(Some(p.clone()));
                }
                return Ok(None);
            }
        }
        // Cached under the generation read before the lookup (see `session`).
        let Some((p, expires)) = db.principals().token_principal(secret, now)? else {
            return Ok(None);
        };
        let mut c = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let c = c.at(generation);
        if c.tokens.len() >= AUTH_CACHE_MAX {
            c.tokens.clear();
        }
        c.tokens.insert(key, (p.clone(), expires));
        Ok(Some(p))
    }

    /// The session of `p`'s credential and its selected project (if it still exists in the
    /// principal's company): from the cache when nothing changed since it was read, else
    /// from `db` (which creates the session on first use).
    pub fn session(
        &self,
        db: &dyn Db,
        p: &Principal,
        now: i64,
    ) -> crate::store::Result<(Session, Option<Project>)> {
        let generation = db.principals().auth_generation()?;
        {
            let mut c = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(found) = c.at(generation).sessions.get(&p.credential) {
                return Ok(found.clone());
            }
        }
        // Cached under the generation read before it was read, never a later one: a change
        // committed in between (or this session's creation) moves the generation, so the
        // entry is never served to a request that saw the change.
        let found = fresh_session(db, p, now)?;
        let mut c = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let c = c.at(generation);
        if c.sessions.len() >= AUTH_CACHE_MAX {
            c.sessions.clear();
        }
        c.sessions.insert(p.credential.clone(), found.clone());
        Ok(found)
    }
}

/// The session and project of `p` read from the store.
pub fn fresh_session(
    db: &dyn Db,
    p: &Principal,
    now: i64,
) -> crate::store::Result<(Session, Option<Project>)> {
    let session = db.principals().session_for(p, now)?;
    let project = match &session.project_id {
        Some(id) => db.principals().find_project(&p.company_id, id)?,
        None => None,
    };
    Ok((session, project))
}
