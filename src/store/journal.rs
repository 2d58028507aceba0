//! Stored journal records: idmcp's own hash-chained audit trail as rows. The chain rules
//! (what is hashed, how verification reads it) live in [`crate::journal`]; this module owns
//! the row shape and the [`JournalRecords`] contract.

use super::Result;

/// The record fields in chain order: occurred (epoch ms), company, principal, session,
/// project, kind, tool, operation, outcome, duration (µs), approval, correlation, detail.
/// `occurred` and the duration are decimal integers; backends may store them as numbers.
pub const FIELDS: usize = 13;

/// One stored journal record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub seq: i64,
    pub fields: [String; FIELDS],
    pub prev_hash: String,
    pub hash: String,
}

/// The journal table: appended to in sequence, read back whole for verification. Searches
/// over it go through [`super::Events::search`] with [`super::events::Filter::mcp_company`].
pub trait JournalRecords {
    /// The last record's sequence number and hash.
    fn last(&self) -> Result<Option<(i64, String)>>;
    fn insert(&self, r: &Record) -> Result<()>;
    /// Every record in sequence order, until `visit` returns false.
    fn scan(&self, visit: &mut dyn FnMut(Record) -> bool) -> Result<()>;
}
