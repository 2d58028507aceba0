//! The embedded store: one SQLite file under the data dir (WAL, `synchronous=FULL`, foreign
//! keys on), versioned migrations, one writer connection and a small pool of readers.
//!
//! Callers never see SQL: identity data goes through [`docs`], principals, projects, tokens
//! and sessions through [`principals`], platform audit events through [`events`].

pub mod docs;
pub mod events;
pub mod principals;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rusqlite::Connection;
use tokio::sync::{Mutex, OwnedMutexGuard};

/// A pooled connection, held for the duration of one operation.
pub type Conn = OwnedMutexGuard<Connection>;

/// Ordered migrations; the index + 1 is the schema version recorded in `PRAGMA user_version`.
const MIGRATIONS: &[&str] = &[include_str!("migrations/0001_init.sql"), include_str!("migrations/0003_security.sql"), include_str!("migrations/0004_audit.sql"),
    include_str!("migrations/0005_index_versions.sql"),
];

/// The SQLite store.
pub struct Store {
    path: PathBuf,
    writer: Arc<Mutex<Connection>>,
    readers: Vec<Arc<Mutex<Connection>>>,
    next: AtomicUsize,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the data directory {0}: {1}")]
    Dir(PathBuf, std::io::Error),
    #[error("cannot open the store {0}: {1}")]
    Open(PathBuf, rusqlite::Error),
    #[error("migration {0} failed: {1}")]
    Migrate(usize, rusqlite::Error),
    #[error("the store {0} has schema version {1}, newer than this idmcp ({2}); upgrade idmcp")]
    TooNew(PathBuf, usize, usize),
}

/// How hard commits wait for the disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    /// `synchronous=FULL`: a commit is on disk before it is acknowledged. What idmcp runs with.
    Full,
    /// `synchronous=OFF`: for in-process logic tests on throwaway stores only, where thousands
    /// of short transactions would otherwise spend their time in fsync.
    Throwaway,
}

fn configure(conn: &Connection, durability: Durability) -> rusqlite::Result<()> {
    // WAL lets readers run beside the writer; FULL makes every commit durable before it is
    // acknowledged (the durability test kills the server and counts acknowledged writes).
    let sync = match durability {
        Durability::Full => "FULL",
        Durability::Throwaway => "OFF",
    };
    conn.execute_batch(&format!(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous={sync}; PRAGMA foreign_keys=ON; \
         PRAGMA busy_timeout=10000; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-8000;"
    ))
}

impl Store {
    /// Opens (creating if needed) `<dir>/idmcp.db` and brings its schema up to date.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        Self::open_with(dir, Durability::Full)
    }

    /// [`Store::open`] with a chosen durability (tests of logic on throwaway stores).
    pub fn open_with(dir: &Path, durability: Durability) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Dir(dir.to_owned(), e))?;
        let path = dir.join("idmcp.db");
        let open = || -> Result<Connection, StoreError> {
            let c = Connection::open(&path).map_err(|e| StoreError::Open(path.clone(), e))?;
            configure(&c, durability).map_err(|e| StoreError::Open(path.clone(), e))?;
            Ok(c)
        };
        let mut writer = open()?;
        migrate(&path, &mut writer)?;
        let readers = (0..4).map(|_| open().map(|c| Arc::new(Mutex::new(c)))).collect::<Result<_, _>>()?;
        Ok(Self { path, writer: Arc::new(Mutex::new(writer)), readers, next: AtomicUsize::new(0) })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A reader connection (round-robin over the pool).
    pub async fn reader(&self) -> Conn {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.readers.len();
        self.readers[i].clone().lock_owned().await
    }

    /// The single writer connection; callers open their own transaction on it.
    pub async fn writer(&self) -> Conn {
        self.writer.clone().lock_owned().await
    }

    /// The writer, for synchronous callers (CLI commands, seeding) outside the runtime.
    pub fn writer_blocking(&self) -> Conn {
        self.writer.clone().blocking_lock_owned()
    }
}

fn migrate(path: &Path, conn: &mut Connection) -> Result<(), StoreError> {
    let version: usize = conn
        .query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))
        .map_err(|e| StoreError::Open(path.to_owned(), e))? as usize;
    if version > MIGRATIONS.len() {
        return Err(StoreError::TooNew(path.to_owned(), version, MIGRATIONS.len()));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
        let tx = conn.transaction().map_err(|e| StoreError::Migrate(i + 1, e))?;
        tx.execute_batch(sql).map_err(|e| StoreError::Migrate(i + 1, e))?;
        tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1)).map_err(|e| StoreError::Migrate(i + 1, e))?;
        tx.commit().map_err(|e| StoreError::Migrate(i + 1, e))?;
    }
    Ok(())
}

/// Runs `f` inside `BEGIN IMMEDIATE … COMMIT`, rolling back on error.
pub fn in_tx<T, E: From<rusqlite::Error>>(conn: &Connection, f: impl FnOnce(&Connection) -> Result<T, E>) -> Result<T, E> {
    conn.execute_batch("BEGIN IMMEDIATE")?;
    match f(conn) {
        Ok(v) => {
            conn.execute_batch("COMMIT")?;
            Ok(v)
        }
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}
