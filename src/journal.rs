//! idmcp's own audit journal: one record per MCP request, refusal, sign-in, project switch,
//! approval step and write; append-only and hash-chained, so `idmcp audit verify` finds any
//! edited, deleted, inserted or reordered record.
//!
//! A write's record is appended inside the write's own transaction. Everything else goes
//! through a group-commit queue (one transaction per batch, bounded delay, flushed on
//! shutdown), so a read never pays a disk flush of its own. Values are stored redacted
//! (secrets masked by the dispatch path, control characters encoded here).

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::sync::{mpsc, oneshot};

use crate::app::App;
use crate::store::journal::{FIELDS, Record};
use crate::store::principals::Principal;
use crate::store::{Db, Result};

/// One journal record being built up by the dispatch path or a transport.
#[derive(Clone, Debug)]
pub struct Entry {
    pub occurred: i64,
    pub company_id: String,
    pub principal: String,
    pub session: String,
    pub project_id: String,
    pub kind: String,
    pub tool: String,
    pub operation: String,
    pub outcome: String,
    pub duration_us: i64,
    pub approval_id: String,
    pub correlation_id: String,
    pub detail: Value,
}

impl Entry {
    pub fn new(occurred: i64, kind: &str, p: &Principal) -> Self {
        Self {
            company_id: p.company_id.clone(),
            principal: p.email.clone(),
            session: p.credential.clone(),
            outcome: "pending".into(),
            ..Self::anonymous(occurred, kind)
        }
    }

    /// A record for a request with no authenticated principal.
    pub fn anonymous(occurred: i64, kind: &str) -> Self {
        Self {
            occurred,
            company_id: String::new(),
            principal: String::new(),
            session: String::new(),
            project_id: String::new(),
            kind: kind.into(),
            tool: String::new(),
            operation: String::new(),
            outcome: "denied".into(),
            duration_us: 0,
            approval_id: String::new(),
            correlation_id: String::new(),
            detail: json!({}),
        }
    }

    pub fn tool(mut self, t: &str) -> Self {
        self.tool = t.into();
        self
    }

    pub fn operation(mut self, o: &str) -> Self {
        self.operation = o.into();
        self
    }

    pub fn outcome(mut self, o: &str) -> Self {
        self.outcome = o.into();
        self
    }
}

/// Encodes CR, LF and other control characters so a record can never forge a log line.
pub fn clean(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

fn chain_hash(prev: &str, seq: i64, fields: &[String; FIELDS]) -> String {
    let mut h = Sha256::new();
    h.update(prev.as_bytes());
    h.update(seq.to_string().as_bytes());
    for f in fields {
        // Length-prefixed, so no two field lists hash alike.
        h.update((f.len() as u64).to_be_bytes());
        h.update(f.as_bytes());
    }
    hex::encode(h.finalize())
}

fn fields_of(e: &Entry) -> [String; FIELDS] {
    [
        e.occurred.to_string(),
        e.company_id.clone(),
        clean(&e.principal),
        clean(&e.session),
        e.project_id.clone(),
        clean(&e.kind),
        clean(&e.tool),
        clean(&e.operation),
        clean(&e.outcome),
        e.duration_us.to_string(),
        clean(&e.approval_id),
        clean(&e.correlation_id),
        clean(&e.detail.to_string()),
    ]
}

/// Appends inside the caller's transaction (the caller holds the writer).
pub fn append_in(db: &dyn Db, e: &Entry) -> Result<()> {
    append_all_in(db, std::slice::from_ref(e))
}

/// Appends `entries` in order inside the caller's transaction (the caller holds the writer):
/// the chain's tail is read once for the batch.
pub fn append_all_in(db: &dyn Db, entries: &[Entry]) -> Result<()> {
    let (mut seq, mut prev_hash) = match db.journal().last()? {
        Some((s, h)) => (s + 1, h),
        None => (1, String::new()),
    };
    for e in entries {
        let fields = fields_of(e);
        let hash = chain_hash(&prev_hash, seq, &fields);
        db.journal().insert(&Record {
            seq,
            fields,
            prev_hash,
            hash: hash.clone(),
        })?;
        prev_hash = hash;
        seq += 1;
    }
    Ok(())
}

/// Messages to the group-commit task.
pub enum Msg {
    Entry(Box<Entry>),
    Flush(oneshot::Sender<()>),
}

/// The queue handle kept in [`App`].
pub type Queue = mpsc::Sender<Msg>;

/// How many records may wait for their batch. When the disk falls behind, a caller whose
/// record finds the queue full waits for room (records are never dropped), so memory stays
/// bounded and the callers slow down to what the journal can commit.
pub const QUEUE_CAPACITY: usize = 4096;

/// Largest batch committed in one transaction.
const MAX_BATCH: usize = 1000;

/// Starts the group-commit task; records wait at most ~10 ms before their batch commits.
pub fn start(app: Arc<App>) -> (Queue, tokio::task::JoinHandle<()>) {
    let (tx, mut rx) = mpsc::channel::<Msg>(QUEUE_CAPACITY);
    let task = tokio::spawn(async move {
        while let Some(first) = rx.recv().await {
            let mut batch = Vec::new();
            let mut flushes = Vec::new();
            let take =
                |m: Msg, batch: &mut Vec<Entry>, flushes: &mut Vec<oneshot::Sender<()>>| match m {
                    Msg::Entry(e) => batch.push(*e),
                    Msg::Flush(f) => flushes.push(f),
                };
            take(first, &mut batch, &mut flushes);
            let deadline = tokio::time::Instant::now() + Duration::from_millis(10);
            while batch.len() < MAX_BATCH && flushes.is_empty() {
                match tokio::time::timeout_at(deadline, rx.recv()).await {
                    Ok(Some(m)) => take(m, &mut batch, &mut flushes),
                    _ => break,
                }
            }
            if !batch.is_empty() {
                let conn = app.store.writer().await;
                // The batch's inserts, hashes and the commit's disk flush run on a blocking
                // thread: an async worker never waits for the disk (there may be only two).
                let n = batch.len();
                let r = tokio::task::spawn_blocking(move || {
                    crate::store::in_tx(&*conn, |c| append_all_in(c, &batch))
                })
                .await;
                match r {
                    Ok(Ok(())) => {}
                    Ok(Err(err)) => {
                        tracing::error!(error = %err, records = n, "cannot append to the audit journal")
                    }
                    Err(err) => {
                        tracing::error!(error = %err, records = n, "the audit journal's commit task failed")
                    }
                }
            }
            for f in flushes {
                let _ = f.send(());
            }
        }
    });
    (tx, task)
}

/// Queues a record (or writes it at once when no queue runs, e.g. in CLI commands). When the
/// queue is full this waits for room: a record is never dropped.
pub async fn append(app: &App, e: &Entry) {
    if let Some(q) = app.journal.get() {
        if q.send(Msg::Entry(Box::new(e.clone()))).await.is_ok() {
            return;
        }
    }
    let conn = app.store.writer().await;
    if let Err(err) = crate::store::in_tx(&*conn, |c| append_in(c, e)) {
        tracing::error!(error = %err, kind = %e.kind, "cannot append to the audit journal");
    }
}

/// Waits until every queued record is committed.
pub async fn flush(app: &App) {
    if let Some(q) = app.journal.get() {
        let (tx, rx) = oneshot::channel();
        if q.send(Msg::Flush(tx)).await.is_ok() {
            let _ = rx.await;
        }
    }
}

/// Walks the chain; `Err((seq, why))` names the first record that does not verify.
pub fn verify(db: &dyn Db) -> Result<Result<usize, (i64, String)>> {
    let mut prev = String::new();
    let mut expected_seq = 1;
    let mut n = 0;
    let mut broken = None;
    db.journal().scan(&mut |row| {
        let why = if row.seq != expected_seq {
            Some(format!("sequence gap: expected record {expected_seq}, found {} (a record was deleted or inserted)", row.seq))
        } else if row.prev_hash != prev {
            Some("the link to the previous record is broken (a record before it was changed, removed or reordered)".into())
        } else if chain_hash(&row.prev_hash, row.seq, &row.fields) != row.hash {
            Some("the record's content does not match its hash (it was edited)".into())
        } else {
            None
        };
        if let Some(why) = why {
            broken = Some((row.seq, why));
            return false;
        }
        prev = row.hash;
        expected_seq += 1;
        n += 1;
        true
    })?;
    Ok(broken.map_or(Ok(n), Err))
}
