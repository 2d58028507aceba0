//! The embedded engine: executes operations on the store, either through a declarative verb
//! ([`verb`]) or a hand-written handler ([`handlers`]), inside the context [`Ctx`] that the
//! dispatch path prepares (principal, session, selected project, connection, clock).

pub mod handlers;
pub mod repo;
pub mod verb;

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use serde_json::Value;

use crate::app::App;
use crate::error::ApiError;
use crate::store::principals::{Principal, Project, Session};
use crate::store::{Conn, Db};

/// Everything an operation may use. Built by the dispatch path, never by a caller.
pub struct Ctx {
    pub app: Arc<App>,
    pub principal: Principal,
    pub session: Session,
    /// The session's selected project, verified to belong to the principal's company.
    pub project: Option<Project>,
    /// Request time in epoch milliseconds (from the app clock, so tests can move it).
    pub now_ms: i64,
    /// A reader, or the writer with a transaction open for write operations.
    pub conn: Conn,
}

impl Ctx {
    pub fn db(&self) -> &dyn Db {
        &*self.conn
    }

    pub fn now_secs(&self) -> i64 {
        self.now_ms / 1000
    }

    /// The selected project's id, or a clear error telling the agent how to select one.
    pub fn project_id(&self) -> Result<&str, ApiError> {
        self.project.as_ref().map(|p| p.id.as_str()).ok_or_else(|| {
            ApiError::invalid("no project is selected: call the session tool with operation `listProjects`, then `selectProject`")
        })
    }

    /// Stores a document with the keys its collection declares (an undeclared collection is
    /// a bug: its documents could never be found by key).
    pub fn put(&self, coll: &str, id: &str, doc: &Value) -> Result<(), ApiError> {
        if repo::def(coll).is_none() {
            return Err(ApiError::internal(format!(
                "collection `{coll}` is not declared in operations/_collections/"
            )));
        }
        let pid = self.project_id()?;
        self.db()
            .docs()
            .put(pid, coll, id, doc, self.now_secs(), indexed_paths(coll))?;
        Ok(())
    }

    /// The first document whose key `path` equals `value`.
    pub fn find(
        &self,
        coll: &str,
        path: &str,
        value: &Value,
    ) -> Result<Option<(String, Value)>, ApiError> {
        let pid = self.project_id()?;
        for id in self.db().docs().ids_by_key(pid, coll, path, value)? {
            if let Some(doc) = self.db().docs().get(pid, coll, &id)? {
                return Ok(Some((id, doc)));
            }
        }
        Ok(None)
    }
}

/// Brings every collection's key index in line with its declaration (after an upgrade or a
/// new key, documents written before would otherwise be invisible to the new lookups).
pub fn ensure_indexes(conn: &dyn Db) -> crate::store::Result<usize> {
    crate::store::in_tx(conn, |c| {
        repo::all().iter().try_fold(0, |n, coll| {
            Ok(n + c.docs().ensure_index(coll.name, indexed_paths(coll.name))?)
        })
    })
}

/// Paths indexed in `doc_keys` for a collection: its declared index layout
/// (`operations/_collections/`); nothing for an undeclared one.
pub fn indexed_paths(coll: &str) -> &'static [String] {
    static MAP: OnceLock<HashMap<&'static str, Vec<String>>> = OnceLock::new();
    let map = MAP.get_or_init(|| {
        repo::all()
            .iter()
            .map(|c| (c.name, c.keys.iter().map(|k| (*k).to_owned()).collect()))
            .collect()
    });
    map.get(coll).map(Vec::as_slice).unwrap_or(&[])
}
