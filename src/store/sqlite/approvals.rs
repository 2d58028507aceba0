//! [`Approvals`] on SQLite: the `approvals` and `elevation_failures` tables.

use rusqlite::{OptionalExtension, params};
use serde_json::Value;

use super::SqliteDb;
use crate::store::Result;
use crate::store::approvals::{Approval, Approvals, Request, Status, status_text};

const COLS: &str = "id, company_id, descoper_id, session_key, project_id, requests, display, otp_hash, csrf, status, attempts, created, expires, approved_at, window_until, used";

fn row(r: &rusqlite::Row) -> rusqlite::Result<Approval> {
    let requests: String = r.get(5)?;
    let display: String = r.get(6)?;
    let status: String = r.get(9)?;
    let used: String = r.get(15)?;
    Ok(Approval {
        id: r.get(0)?,
        company_id: r.get(1)?,
        descoper_id: r.get(2)?,
        session_key: r.get(3)?,
        project_id: r.get(4)?,
        requests: serde_json::from_str(&requests).unwrap_or_default(),
        display: serde_json::from_str(&display).unwrap_or(Value::Null),
        otp_hash: r.get(7)?,
        csrf: r.get(8)?,
        status: match status.as_str() {
            "pending" => Status::Pending,
            "approved" => Status::Approved,
            _ => Status::Voided,
        },
        attempts: r.get(10)?,
        created: r.get(11)?,
        expires: r.get(12)?,
        window_until: r.get(14)?,
        used: serde_json::from_str(&used).unwrap_or_default(),
    })
}

fn requests_text(requests: &[Request]) -> String {
    serde_json::to_string(requests).expect("requests serialize")
}

impl Approvals for SqliteDb {
    fn insert(&self, a: &Approval) -> Result<()> {
        self.conn.execute(
            &format!("INSERT INTO approvals ({COLS}) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16)"),
            params![
                a.id,
                a.company_id,
                a.descoper_id,
                a.session_key,
                a.project_id,
                requests_text(&a.requests),
                a.display.to_string(),
                a.otp_hash,
                a.csrf,
                status_text(&a.status),
                a.attempts,
                a.created,
                a.expires,
                Option::<i64>::None,
                a.window_until,
                serde_json::to_string(&a.used).expect("ints serialize"),
            ],
        )?;
        Ok(())
    }

    fn load(&self, id: &str) -> Result<Option<Approval>> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {COLS} FROM approvals WHERE id=?1"),
                [id],
                row,
            )
            .optional()?)
    }

    fn pending_for(
        &self,
        session_key: &str,
        project_id: &str,
        requests: &[Request],
        now: i64,
    ) -> Result<Option<Approval>> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {COLS} FROM approvals WHERE session_key=?1 AND project_id=?2 AND requests=?3 AND status='pending' AND expires > ?4 ORDER BY created DESC LIMIT 1"),
                params![session_key, project_id, requests_text(requests), now],
                row,
            )
            .optional()?)
    }

    fn of_session(&self, session_key: &str) -> Result<Vec<Approval>> {
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {COLS} FROM approvals WHERE session_key=?1 ORDER BY created DESC, rowid DESC"
        ))?;
        let rows = st.query_map([session_key], row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn open_windows(&self, session_key: &str, project_id: &str, now: i64) -> Result<Vec<Approval>> {
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {COLS} FROM approvals WHERE session_key=?1 AND project_id=?2 AND status='approved' AND window_until > ?3 ORDER BY created"
        ))?;
        let rows = st.query_map(params![session_key, project_id, now], row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn set_used(&self, id: &str, used: &[usize]) -> Result<()> {
        self.conn.execute(
            "UPDATE approvals SET used=?2 WHERE id=?1",
            params![id, serde_json::to_string(used).expect("ints serialize")],
        )?;
        Ok(())
    }

    fn set_attempts(&self, id: &str, attempts: i64, void: bool) -> Result<()> {
        let sql = if void {
            "UPDATE approvals SET attempts=?2, status='voided' WHERE id=?1"
        } else {
            "UPDATE approvals SET attempts=?2 WHERE id=?1"
        };
        self.conn.execute(sql, params![id, attempts])?;
        Ok(())
    }

    fn set_approved(&self, id: &str, at: i64, window_until: i64) -> Result<()> {
        self.conn.execute(
            "UPDATE approvals SET status='approved', approved_at=?2, window_until=?3 WHERE id=?1",
            params![id, at, window_until],
        )?;
        Ok(())
    }

    fn void(&self, id: &str) -> Result<()> {
        self.conn
            .execute("UPDATE approvals SET status='voided' WHERE id=?1", [id])?;
        Ok(())
    }

    fn void_session(&self, session_key: &str) -> Result<usize> {
        Ok(self.conn.execute("UPDATE approvals SET status='voided' WHERE session_key=?1 AND status IN ('pending','approved')", [session_key])?)
    }

    fn void_all(&self) -> Result<usize> {
        Ok(self.conn.execute(
            "UPDATE approvals SET status='voided' WHERE status IN ('pending','approved')",
            [],
        )?)
    }

    fn add_failure(&self, descoper_id: &str, at: i64) -> Result<()> {
        self.conn.execute(
            "INSERT INTO elevation_failures (descoper_id, occurred) VALUES (?1, ?2)",
            params![descoper_id, at],
        )?;
        Ok(())
    }

    fn failures_since(&self, descoper_id: &str, since: i64) -> Result<(i64, Option<i64>)> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*), MAX(occurred) FROM elevation_failures WHERE descoper_id=?1 AND occurred > ?2",
            params![descoper_id, since],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?)
    }
}
