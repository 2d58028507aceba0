//! [`JournalRecords`] on SQLite: the `journal` table (`occurred` and `duration_us` as integers).

use rusqlite::{OptionalExtension, params};

use super::SqliteDb;
use crate::store::journal::{JournalRecords, Record};
use crate::store::{Error, Result};

fn int(field: &str, what: &str) -> Result<i64> {
    field
        .parse()
        .map_err(|_| Error::msg(format!("journal {what} {field:?} is not an integer")))
}

impl JournalRecords for SqliteDb {
    fn last(&self) -> Result<Option<(i64, String)>> {
        Ok(self
            .conn
            .prepare_cached("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1")?
            .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    fn insert(&self, r: &Record) -> Result<()> {
        let f = &r.fields;
        self.conn
            .prepare_cached(
                "INSERT INTO journal (seq, occurred, company_id, principal, session, project_id, kind, tool, operation, outcome, duration_us, approval_id, correlation_id, detail, prev_hash, hash) \
                 VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16)",
            )?
            .execute(params![
                r.seq,
                int(&f[0], "time")?,
                f[1],
                f[2],
                f[3],
                f[4],
                f[5],
                f[6],
                f[7],
                f[8],
                int(&f[9], "duration")?,
                f[10],
                f[11],
                f[12],
                r.prev_hash,
                r.hash
            ])?;
        Ok(())
    }

    fn scan(&self, visit: &mut dyn FnMut(Record) -> bool) -> Result<()> {
        let mut st = self.conn.prepare(
            "SELECT seq, occurred, company_id, principal, session, project_id, kind, tool, operation, outcome, duration_us, approval_id, correlation_id, detail, prev_hash, hash FROM journal ORDER BY seq",
        )?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            let record = Record {
                seq: r.get(0)?,
                fields: [
                    r.get::<_, i64>(1)?.to_string(),
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                    r.get(9)?,
                    r.get::<_, i64>(10)?.to_string(),
                    r.get(11)?,
                    r.get(12)?,
                    r.get(13)?,
                ],
                prev_hash: r.get(14)?,
                hash: r.get(15)?,
            };
            if !visit(record) {
                break;
            }
        }
        Ok(())
    }
}
