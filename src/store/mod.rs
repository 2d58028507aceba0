//! The store behind idmcp: the backend-neutral contract ([`Backend`] opens connections,
//! [`Db`] is one connection's operations, grouped by concern) and the [`Store`] handle the
//! rest of the server holds.
//!
//! Callers never see SQL or a driver type: identity documents go through [`Docs`], platform
//! audit events through [`Events`], companies, Descopers, projects, tokens and sessions
//! through [`Principals`], approval records through [`Approvals`], server keys and TOTP
//! enrolments through [`Secrets`], and the hash-chained journal through [`JournalRecords`].
//! The embedded SQLite backend ([`sqlite`]) implements all of them; a PostgreSQL backend
//! implements the same traits and every caller works unchanged (`tests/store.rs` is the
//! conformance suite both must pass).

pub mod approvals;
pub mod docs;
pub mod events;
pub mod journal;
pub mod principals;
pub mod secrets;
pub mod sqlite;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;

pub use approvals::Approvals;
pub use docs::Docs;
pub use events::Events;
pub use journal::JournalRecords;
pub use principals::Principals;
pub use secrets::Secrets;

/// A failure inside the backend (I/O, constraint, driver). Callers report it as an internal
/// error and roll back; nothing inspects driver codes, so backends stay interchangeable.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Error(Box<dyn std::error::Error + Send + Sync>);

impl Error {
    pub fn new(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self(Box::new(e))
    }

    /// An error with only a message (a backend's own consistency check).
    pub fn msg(m: impl Into<String>) -> Self {
        Self(m.into().into())
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot create the data directory {0}: {1}")]
    Dir(PathBuf, std::io::Error),
    #[error("cannot open the store {0}: {1}")]
    Open(String, Error),
    #[error("migration {0} failed: {1}")]
    Migrate(usize, Error),
    #[error("the store {0} has schema version {1}, newer than this idmcp ({2}); upgrade idmcp")]
    TooNew(String, usize, usize),
}

/// How hard commits wait for the disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    /// A commit is on disk before it is acknowledged. What idmcp runs with.
    Full,
    /// Commits are not flushed: for in-process logic tests on throwaway stores only, where
    /// thousands of short transactions would otherwise spend their time in fsync.
    Throwaway,
}

/// One connection's view of the store, held for one operation (or one CLI command). A
/// write opens a transaction with [`Db::begin`] and ends it with [`Db::commit`] or
/// [`Db::rollback`]; [`in_tx`] does that around a closure.
pub trait Db: Send {
    fn docs(&self) -> &dyn Docs;
    fn events(&self) -> &dyn Events;
    fn principals(&self) -> &dyn Principals;
    fn approvals(&self) -> &dyn Approvals;
    fn secrets(&self) -> &dyn Secrets;
    fn journal(&self) -> &dyn JournalRecords;

    /// Starts a write transaction (taking the write lock at once, so it cannot fail later
    /// for lack of it).
    fn begin(&self) -> Result<()>;
    fn commit(&self) -> Result<()>;
    fn rollback(&self) -> Result<()>;
    /// A nested unit inside the open transaction (one item of a batch), undone alone by
    /// [`Db::rollback_to`]. `name` is a plain identifier chosen by the caller.
    fn savepoint(&self, name: &str) -> Result<()>;
    fn release(&self, name: &str) -> Result<()>;
    fn rollback_to(&self, name: &str) -> Result<()>;
    /// Makes everything committed so far durable and compact on disk (after a bulk load).
    fn checkpoint(&self) -> Result<()>;
}

/// A connection held for the duration of one operation.
pub type Conn = Box<dyn Db>;

/// A held connection is a `Db` itself, so `&conn` passes wherever `&dyn Db` is asked for.
impl<T: Db + ?Sized> Db for Box<T> {
    fn docs(&self) -> &dyn Docs {
        (**self).docs()
    }
    fn events(&self) -> &dyn Events {
        (**self).events()
    }
    fn principals(&self) -> &dyn Principals {
        (**self).principals()
    }
    fn approvals(&self) -> &dyn Approvals {
        (**self).approvals()
    }
    fn secrets(&self) -> &dyn Secrets {
        (**self).secrets()
    }
    fn journal(&self) -> &dyn JournalRecords {
        (**self).journal()
    }
    fn begin(&self) -> Result<()> {
        (**self).begin()
    }
    fn commit(&self) -> Result<()> {
        (**self).commit()
    }
    fn rollback(&self) -> Result<()> {
        (**self).rollback()
    }
    fn savepoint(&self, name: &str) -> Result<()> {
        (**self).savepoint(name)
    }
    fn release(&self, name: &str) -> Result<()> {
        (**self).release(name)
    }
    fn rollback_to(&self, name: &str) -> Result<()> {
        (**self).rollback_to(name)
    }
    fn checkpoint(&self) -> Result<()> {
        (**self).checkpoint()
    }
}

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Opens connections. Readers may run beside the writer; there is one writer at a time.
pub trait Backend: Send + Sync {
    fn reader(&self) -> BoxFuture<'_, Conn>;
    fn writer(&self) -> BoxFuture<'_, Conn>;
    /// The writer, for synchronous callers (CLI commands, seeding) outside the runtime.
    fn writer_blocking(&self) -> Conn;
    /// Where the data lives, for messages (a path or a URL without credentials).
    fn location(&self) -> String;
}

/// The store the server holds: a backend chosen at start-up.
pub struct Store {
    backend: Box<dyn Backend>,
}

impl Store {
    /// Opens (creating if needed) the embedded store `<dir>/idmcp.db`, schema up to date.
    pub fn open(dir: &Path) -> Result<Self, OpenError> {
        Self::open_with(dir, Durability::Full)
    }

    /// [`Store::open`] with a chosen durability (tests of logic on throwaway stores).
    pub fn open_with(dir: &Path, durability: Durability) -> Result<Self, OpenError> {
        Ok(Self::from_backend(sqlite::Sqlite::open(dir, durability)?))
    }

    pub fn from_backend(backend: impl Backend + 'static) -> Self {
        Self {
            backend: Box::new(backend),
        }
    }

    pub fn location(&self) -> String {
        self.backend.location()
    }

    /// A reader connection.
    pub async fn reader(&self) -> Conn {
        self.backend.reader().await
    }

    /// The writer connection; callers open their own transaction on it.
    pub async fn writer(&self) -> Conn {
        self.backend.writer().await
    }

    /// The writer, for synchronous callers (CLI commands, seeding) outside the runtime.
    pub fn writer_blocking(&self) -> Conn {
        self.backend.writer_blocking()
    }
}

/// Runs `f` inside a write transaction, committing on success and rolling back on error.
pub fn in_tx<T, E: From<Error>>(
    db: &dyn Db,
    f: impl FnOnce(&dyn Db) -> Result<T, E>,
) -> Result<T, E> {
    db.begin()?;
    match f(db) {
        Ok(v) => {
            db.commit()?;
            Ok(v)
        }
        Err(e) => {
            let _ = db.rollback();
            Err(e)
        }
    }
}
