//! [`Secrets`] on SQLite: the `server_keys` and `totp` tables.

use rusqlite::{OptionalExtension, params};

use super::SqliteDb;
use crate::store::Result;
use crate::store::secrets::{Secrets, TotpRecord};

impl Secrets for SqliteDb {
    fn server_key(&self, name: &str, fresh: &[u8]) -> Result<Vec<u8>> {
        self.conn.execute(
            "INSERT OR IGNORE INTO server_keys (name, key) VALUES (?1, ?2)",
            params![name, fresh],
        )?;
        Ok(self
            .conn
            .query_row("SELECT key FROM server_keys WHERE name=?1", [name], |r| {
                r.get(0)
            })?)
    }

    fn totp(&self, descoper_id: &str) -> Result<Option<TotpRecord>> {
        Ok(self
            .conn
            .query_row(
                "SELECT secret, last_step FROM totp WHERE descoper_id=?1",
                [descoper_id],
                |r| {
                    Ok(TotpRecord {
                        secret: r.get(0)?,
                        last_step: r.get(1)?,
                    })
                },
            )
            .optional()?)
    }

    fn put_totp(&self, descoper_id: &str, secret: &str, created: i64) -> Result<()> {
        self.conn.execute(
            "INSERT INTO totp (descoper_id, secret, created, last_step) VALUES (?1, ?2, ?3, 0) \
             ON CONFLICT(descoper_id) DO UPDATE SET secret=excluded.secret, created=excluded.created, last_step=0",
            params![descoper_id, secret, created],
        )?;
        Ok(())
    }

    fn delete_totp(&self, descoper_id: &str) -> Result<bool> {
        Ok(self
            .conn
            .execute("DELETE FROM totp WHERE descoper_id=?1", [descoper_id])?
            > 0)
    }

    fn advance_totp(&self, descoper_id: &str, step: i64) -> Result<bool> {
        Ok(self.conn.execute(
            "UPDATE totp SET last_step=?2 WHERE descoper_id=?1 AND last_step < ?2",
            params![descoper_id, step],
        )? == 1)
    }
}
