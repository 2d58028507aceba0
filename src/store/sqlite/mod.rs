//! The embedded backend: one SQLite file under the data dir (WAL, `synchronous=FULL`,
//! foreign keys on), versioned migrations, one writer connection and a small pool of readers.
//! Each submodule implements one of the store traits for [`SqliteDb`].

mod approvals;
mod docs;
mod events;
mod journal;
mod principals;
mod secrets;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rusqlite::Connection;
use tokio::sync::{Mutex, OwnedMutexGuard};

use super::{Backend, BoxFuture, Conn, Db, Durability, Error, OpenError, Result};

/// Ordered migrations; the index + 1 is the schema version recorded in `PRAGMA user_version`.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_init.sql"),
    include_str!("migrations/0003_security.sql"),
    include_str!("migrations/0004_audit.sql"),
    include_str!("migrations/0005_index_versions.sql"),
    include_str!("migrations/0006_auth_generation.sql"),
];

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::new(e)
    }
}

/// The SQLite backend.
pub struct Sqlite {
    path: PathBuf,
    writer: Arc<Mutex<Connection>>,
    readers: Vec<Arc<Mutex<Connection>>>,
    next: AtomicUsize,
}

/// One pooled SQLite connection, held for one operation.
pub struct SqliteDb {
    conn: OwnedMutexGuard<Connection>,
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
    ))?;
    // Query-planner stability: plans never depend on bound values. Without it this SQLite
    // build (STAT4 compiled in) marks the parameters of many cached statements (an OR, a
    // parameter compared with a key column) as plan-relevant and re-compiles the statement on
    // every new binding: the token, project and document-key lookups were re-parsed on every
    // request (a fifth of the server's CPU under load). No statement here uses LIKE/GLOB on a
    // parameter, the one case whose plan would be better with the value.
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )?;
    Ok(())
}

impl Sqlite {
    /// Opens (creating if needed) `<dir>/idmcp.db` and brings its schema up to date.
    pub fn open(dir: &Path, durability: Durability) -> Result<Self, OpenError> {
        std::fs::create_dir_all(dir).map_err(|e| OpenError::Dir(dir.to_owned(), e))?;
        let path = dir.join("idmcp.db");
        let shown = path.display().to_string();
        let open = || -> Result<Connection, OpenError> {
            let c =
                Connection::open(&path).map_err(|e| OpenError::Open(shown.clone(), e.into()))?;
            configure(&c, durability).map_err(|e| OpenError::Open(shown.clone(), e.into()))?;
            Ok(c)
        };
        let mut writer = open()?;
        migrate(&shown, &mut writer)?;
        let readers = (0..4)
            .map(|_| open().map(|c| Arc::new(Mutex::new(c))))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            path,
            writer: Arc::new(Mutex::new(writer)),
            readers,
            next: AtomicUsize::new(0),
        })
    }
}

impl Backend for Sqlite {
    fn reader(&self) -> BoxFuture<'_, Conn> {
        // Round-robin over the pool.
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.readers.len();
        let slot = self.readers[i].clone();
        Box::pin(async move {
            Box::new(SqliteDb {
                conn: slot.lock_owned().await,
            }) as Conn
        })
    }

    fn writer(&self) -> BoxFuture<'_, Conn> {
        let slot = self.writer.clone();
        Box::pin(async move {
            Box::new(SqliteDb {
                conn: slot.lock_owned().await,
            }) as Conn
        })
    }

    fn writer_blocking(&self) -> Conn {
        Box::new(SqliteDb {
            conn: self.writer.clone().blocking_lock_owned(),
        })
    }

    fn location(&self) -> String {
        self.path.display().to_string()
    }
}

fn migrate(shown: &str, conn: &mut Connection) -> Result<(), OpenError> {
    let version: usize =
        conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))
            .map_err(|e| OpenError::Open(shown.to_owned(), e.into()))? as usize;
    if version > MIGRATIONS.len() {
        return Err(OpenError::TooNew(
            shown.to_owned(),
            version,
            MIGRATIONS.len(),
        ));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
        let step = |conn: &mut Connection| -> rusqlite::Result<()> {
            let tx = conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1))?;
            tx.commit()
        };
        step(conn).map_err(|e| OpenError::Migrate(i + 1, e.into()))?;
    }
    Ok(())
}

/// Savepoint names are spliced into SQL: only plain identifiers are accepted.
fn ident(name: &str) -> Result<&str> {
    if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        Ok(name)
    } else {
        Err(Error::msg(format!(
            "invalid savepoint name {name:?}: use letters, digits and _"
        )))
    }
}

impl Db for SqliteDb {
    fn docs(&self) -> &dyn super::Docs {
        self
    }
    fn events(&self) -> &dyn super::Events {
        self
    }
    fn principals(&self) -> &dyn super::Principals {
        self
    }
    fn approvals(&self) -> &dyn super::Approvals {
        self
    }
    fn secrets(&self) -> &dyn super::Secrets {
        self
    }
    fn journal(&self) -> &dyn super::JournalRecords {
        self
    }

    fn begin(&self) -> Result<()> {
        // IMMEDIATE takes the write lock now, so a write cannot fail half-way for want of it.
        Ok(self.conn.execute_batch("BEGIN IMMEDIATE")?)
    }
    fn commit(&self) -> Result<()> {
        Ok(self.conn.execute_batch("COMMIT")?)
    }
    fn rollback(&self) -> Result<()> {
        Ok(self.conn.execute_batch("ROLLBACK")?)
    }
    fn savepoint(&self, name: &str) -> Result<()> {
        Ok(self
            .conn
            .execute_batch(&format!("SAVEPOINT {}", ident(name)?))?)
    }
    fn release(&self, name: &str) -> Result<()> {
        Ok(self
            .conn
            .execute_batch(&format!("RELEASE {}", ident(name)?))?)
    }
    fn rollback_to(&self, name: &str) -> Result<()> {
        let n = ident(name)?;
        Ok(self
            .conn
            .execute_batch(&format!("ROLLBACK TO {n}; RELEASE {n}"))?)
    }
    fn checkpoint(&self) -> Result<()> {
        Ok(self.conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")?)
    }
}
